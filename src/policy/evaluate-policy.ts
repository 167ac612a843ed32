import type { Finding, FindingLocation } from '../../checks/check.js';
import { VERDICT_RANK, type Verdict } from '../tickets/states.js';
import { describeFindingMatch, matchFindings, type MatchedDetector } from './match-findings.js';
import { matchItem } from './match-item.js';
import { matchesGlob } from './path-glob.js';
import { hasFindingConditions, hasItemConditions } from './policy-condition.js';
import type { AllowList, PolicyRule } from './policy-schema.js';

export type { MatchedDetector } from './match-findings.js';

/** The part of a finding a policy reads. Never its excerpt: a decision can be replayed from stored rows without content. */
export type PolicyFinding = Pick<Finding, 'detector' | 'severity' | 'confidence'> & {
  /** Which distinct value of the item this is (`credit_card#3`); see `DistinctValues` in checks/check.ts. */
  valueKey?: string | null | undefined;
  /** Only `entry` is read, for the allow-list's paths. */
  location?: Pick<FindingLocation, 'entry'> | undefined;
};

/** The item being decided, as far as it is known. */
export interface PolicyItem {
  /** Relative to the source root, `/`-separated, as the user named it. */
  path: string;
  /** Bytes; size conditions never match without it. */
  size?: number | undefined;
  /** MIME type by content (from the file-type check). */
  mime?: string | undefined;
  /** Extension matching the content, with or without its dot. */
  ext?: string | undefined;
}

/** What a policy judges for one item: every check's findings, the checks that could not finish, and the item's route. */
export interface PolicyInput {
  findings: readonly PolicyFinding[];
  failedChecks: readonly string[];
  item?: PolicyItem | undefined;
  /** The pipeline the ticket runs through. */
  pipeline?: string | undefined;
  /** The destination connector's kind (`local`, `s3`, `sftp`). */
  destination?: string | undefined;
}

/** Who must approve a `review`; `count` 0 and no groups for other verdicts. See `approvals` in policy-schema.ts. */
export interface RequiredApprovals {
  /** Distinct people needed. */
  count: number;
  /** Only members of these groups count; empty: anyone allowed to approve. */
  groups: string[];
  /** Every group in `groups` must be represented by a different approver. */
  distinctGroups: boolean;
}

export interface PolicyDecision {
  verdict: Verdict;
  /** The id of the rule that decided, or `fail-closed` / `no-match` when the evaluator itself did. */
  rule: string;
  /** One self-explaining line each, starting with the rule id (or `allow-list:`): `pci-bulk: 12 distinct credit_card values (rule needs 10)`. */
  reasons: string[];
  requiredApprovals: RequiredApprovals;
  /** The findings that counted for the deciding rule, per detector; empty when it did not look at findings. */
  matched: MatchedDetector[];
  /** The checks that could not finish, sorted; the item was then not fully inspected. */
  failedChecks: string[];
}

/** What the evaluator needs of a policy; a loaded policy, or rules built in code. */
export interface EvaluatedPolicy {
  readonly rules: readonly PolicyRule[];
  readonly allow?: AllowList | undefined;
}

/** Rule id used when the evaluator overrides an `allow` because an item was not fully inspected. */
export const FAIL_CLOSED_RULE = 'fail-closed';
/** Rule id used when no rule matched (only possible for policies built in code, which lack a catch-all). */
export const NO_MATCH_RULE = 'no-match';

const NO_APPROVALS: RequiredApprovals = { count: 0, groups: [], distinctGroups: false };

/**
 * Decides one item: the first rule whose conditions all hold gives the verdict. Pure and deterministic:
 * the same policy and input always give the same decision, whatever the order of `failedChecks`.
 *
 * Findings in paths the policy's allow-list names are set aside first, and the decision says how many.
 * Fails closed: when any check could not finish, the verdict is never `allow`; a matching `allow` is
 * turned into `block` under rule `fail-closed`. What was not inspected cannot be known to be safe.
 */
export function evaluatePolicy(policy: EvaluatedPolicy, input: PolicyInput): PolicyDecision {
  const failedChecks = [...new Set(input.failedChecks)].sort();
  const { kept, ignored } = setAsideAllowedPaths(policy.allow?.paths, input);
  const notes = ignored > 0 ? [`allow-list: ${ignored} finding(s) ignored by path`] : [];
  for (const rule of policy.rules) {
    const match = matchRule(rule, { ...input, findings: kept }, failedChecks);
    if (!match) continue;
    if (rule.then === 'allow' && failedChecks.length > 0) {
      const reason = `${FAIL_CLOSED_RULE}: ${listChecks(failedChecks)} could not finish, so the item is blocked instead of allowed by rule ${rule.id}`;
      return {
        verdict: 'block',
        rule: FAIL_CLOSED_RULE,
        reasons: [reason, ...notes],
        requiredApprovals: NO_APPROVALS,
        matched: [],
        failedChecks,
      };
    }
    return {
      verdict: rule.then,
      rule: rule.id,
      reasons: [...match.reasons, ...notes],
      requiredApprovals: rule.then === 'review' ? approvalsOf(rule) : NO_APPROVALS,
      matched: match.matched,
      failedChecks,
    };
  }
  // A loaded policy always ends in a catch-all; this guards policies built in code.
  return {
    verdict: 'block',
    rule: NO_MATCH_RULE,
    reasons: [`${NO_MATCH_RULE}: no policy rule matched, so the item is blocked`, ...notes],
    requiredApprovals: NO_APPROVALS,
    matched: [],
    failedChecks,
  };
}

/** The most restrictive verdict (block > review > allow); `allow` for none, as nothing was held back. */
export function worstVerdict(verdicts: Iterable<Verdict>): Verdict {
  let worst: Verdict = 'allow';
  for (const verdict of verdicts) if (VERDICT_RANK[verdict] > VERDICT_RANK[worst]) worst = verdict;
  return worst;
}

/** The rule's reasons and counted findings when every condition holds, else undefined. */
function matchRule(
  rule: PolicyRule,
  input: PolicyInput,
  failed: readonly string[],
): { reasons: string[]; matched: MatchedDetector[] } | undefined {
  const when = rule.when;
  if (!when) return { reasons: [`${rule.id}: no earlier rule matched`], matched: [] };
  if (when.checkFailed !== undefined && when.checkFailed !== failed.length > 0) return undefined;
  const reasons: string[] = [];
  if (when.checkFailed === true) reasons.push(`${rule.id}: ${listChecks(failed)} could not finish`);
  let matched: MatchedDetector[] = [];
  if (hasFindingConditions(when)) {
    const match = matchFindings(when, input.findings);
    if (!match) return undefined;
    reasons.push(...describeFindingMatch(rule.id, when, match));
    matched = match.matched;
  }
  if (hasItemConditions(when)) {
    const itemReasons = matchItem(rule.id, when, input);
    if (!itemReasons) return undefined;
    reasons.push(...itemReasons);
  }
  if (reasons.length === 0) reasons.push(`${rule.id}: all checks finished`);
  return { reasons, matched };
}

/**
 * Splits findings into those the rules see and those the allow-list's paths set aside: all of an item
 * whose path matches, else each finding whose archive member matches (the whole `entry`, or its innermost
 * member, the part after the last `!/`).
 */
function setAsideAllowedPaths(
  globs: readonly string[] | undefined,
  input: PolicyInput,
): { kept: readonly PolicyFinding[]; ignored: number } {
  if (!globs || input.findings.length === 0) return { kept: input.findings, ignored: 0 };
  const matches = (path: string) => globs.some((glob) => matchesGlob(glob, path));
  if (input.item && matches(input.item.path)) return { kept: [], ignored: input.findings.length };
  const kept = input.findings.filter((f) => {
    const entry = f.location?.entry;
    if (!entry) return true;
    const innermost = entry.slice(entry.lastIndexOf('!/') + 1).replace(/^\//, '');
    return !matches(entry) && !matches(innermost);
  });
  return { kept, ignored: input.findings.length - kept.length };
}

function approvalsOf(rule: PolicyRule): RequiredApprovals {
  const a = rule.approvals;
  return { count: a?.count ?? 1, groups: [...(a?.groups ?? [])], distinctGroups: a?.distinctGroups ?? false };
}

function listChecks(checks: readonly string[]): string {
  return `${checks.length === 1 ? 'check' : 'checks'} ${checks.join(', ')}`;
}
