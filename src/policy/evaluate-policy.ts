import type { Finding } from '../../checks/check.js';
import { VERDICT_RANK, type Verdict } from '../tickets/states.js';
import { SEVERITY_RANK, type PolicyCondition, type PolicyRule } from './policy-schema.js';

/** What a policy judges for one item: every check's findings, and the ids of checks that could not finish. */
export interface PolicyInput {
  findings: readonly Finding[];
  failedChecks: readonly string[];
}

export interface PolicyDecision {
  verdict: Verdict;
  /** The id of the rule that decided, or `fail-closed` / `no-match` when the evaluator itself did. */
  rule: string;
  /** Short sentences for people, each starting with the rule id: `dangerous-content: executable found (1)`. */
  reasons: string[];
  /** Approvals a `review` verdict needs (the rule's `approvals.count`, default 1); 0 otherwise. */
  requiredApprovals: number;
}

/** Rule id used when the evaluator overrides an `allow` because an item was not fully inspected. */
export const FAIL_CLOSED_RULE = 'fail-closed';

/**
 * Decides one item: the first rule whose conditions all hold gives the verdict. Pure and deterministic:
 * the same policy and input always give the same decision, whatever the order of `failedChecks`.
 *
 * Fails closed: when any check could not finish, the verdict is never `allow`; a matching `allow` is
 * turned into `block` under rule `fail-closed`. What was not inspected cannot be known to be safe.
 */
export function evaluatePolicy(policy: { readonly rules: readonly PolicyRule[] }, input: PolicyInput): PolicyDecision {
  const failed = [...new Set(input.failedChecks)].sort();
  for (const rule of policy.rules) {
    const reasons = matchRule(rule, input.findings, failed);
    if (!reasons) continue;
    if (rule.then === 'allow' && failed.length > 0) {
      const reason = `${FAIL_CLOSED_RULE}: ${listChecks(failed)} could not finish, so the item is blocked instead of allowed by rule ${rule.id}`;
      return { verdict: 'block', rule: FAIL_CLOSED_RULE, reasons: [reason], requiredApprovals: 0 };
    }
    return { verdict: rule.then, rule: rule.id, reasons, requiredApprovals: rule.then === 'review' ? (rule.approvals?.count ?? 1) : 0 };
  }
  // A loaded policy always ends in a catch-all; this guards policies built in code.
  return {
    verdict: 'block',
    rule: 'no-match',
    reasons: ['no-match: no policy rule matched, so the item is blocked'],
    requiredApprovals: 0,
  };
}

/** The most restrictive verdict (block > review > allow); `allow` for none, as nothing was held back. */
export function worstVerdict(verdicts: Iterable<Verdict>): Verdict {
  let worst: Verdict = 'allow';
  for (const verdict of verdicts) if (VERDICT_RANK[verdict] > VERDICT_RANK[worst]) worst = verdict;
  return worst;
}

/** The rule's reasons when every condition holds, else undefined. */
function matchRule(rule: PolicyRule, findings: readonly Finding[], failed: readonly string[]): string[] | undefined {
  const when = rule.when;
  if (!when) return [`${rule.id}: no earlier rule matched`];
  if (when.checkFailed !== undefined && when.checkFailed !== failed.length > 0) return undefined;
  const reasons: string[] = [];
  if (when.checkFailed === true) reasons.push(`${rule.id}: ${listChecks(failed)} could not finish`);
  if (hasFindingConditions(when)) {
    const matching = findings.filter((finding) => findingMatches(when, finding));
    if (matching.length < (when.minCount ?? 1)) return undefined;
    reasons.push(...describeFindings(rule.id, when, matching));
  }
  if (reasons.length === 0) reasons.push(`${rule.id}: all checks finished`);
  return reasons;
}

function hasFindingConditions(when: PolicyCondition): boolean {
  return when.detectors !== undefined || when.minCount !== undefined || when.minSeverity !== undefined || when.minConfidence !== undefined;
}

function findingMatches(when: PolicyCondition, finding: Finding): boolean {
  if (when.detectors && !when.detectors.includes(finding.detector)) return false;
  if (when.minSeverity && SEVERITY_RANK[finding.severity] < SEVERITY_RANK[when.minSeverity]) return false;
  if (when.minConfidence !== undefined && !(finding.confidence >= when.minConfidence)) return false;
  return true;
}

/** One reason per named detector that contributed (in the rule's order), or one count when no detectors are named. */
function describeFindings(ruleId: string, when: PolicyCondition, matching: readonly Finding[]): string[] {
  if (when.detectors) {
    return when.detectors.flatMap((detector) => {
      const count = matching.filter((f) => f.detector === detector).length;
      return count > 0 ? [`${ruleId}: ${detector} found (${count})`] : [];
    });
  }
  const qualifiers = [
    when.minSeverity && `of ${when.minSeverity} severity or worse`,
    when.minConfidence !== undefined && `with confidence at least ${when.minConfidence}`,
  ].filter(Boolean);
  const noun = matching.length === 1 ? 'finding' : 'findings';
  return [[`${ruleId}: ${matching.length} ${noun}`, ...qualifiers].join(' ')];
}

function listChecks(checks: readonly string[]): string {
  return `${checks.length === 1 ? 'check' : 'checks'} ${checks.join(', ')}`;
}
