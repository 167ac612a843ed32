import type { PolicyFinding } from './evaluate-policy.js';
import { SEVERITIES, SEVERITY_RANK, type PolicyCondition } from './policy-condition.js';

/** Findings of one detector that counted for the rule that decided. */
export interface MatchedDetector {
  detector: string;
  /** How many findings counted. */
  count: number;
  /** How many different values they hold (see `countDistinct`). */
  distinct: number;
}

export interface FindingMatch {
  /** Per detector: the rule's detectors in its order, then any others by id. */
  matched: MatchedDetector[];
  count: number;
  distinct: number;
}

/** The findings that count for a rule's finding conditions, when there are enough of them; else undefined. */
export function matchFindings(when: PolicyCondition, findings: readonly PolicyFinding[]): FindingMatch | undefined {
  const counting = findings.filter((finding) => findingCounts(when, finding));
  const distinct = countDistinct(counting);
  if (counting.length < (when.minCount ?? 1) || distinct < (when.minDistinct ?? 1)) return undefined;
  const order = when.detectors ?? [];
  const detectors = [...new Set(counting.map((f) => f.detector))].sort(
    (a, b) => rank(order, a) - rank(order, b) || (a < b ? -1 : a > b ? 1 : 0),
  );
  const matched = detectors.map((detector) => {
    const own = counting.filter((f) => f.detector === detector);
    return { detector, count: own.length, distinct: countDistinct(own) };
  });
  return { matched, count: counting.length, distinct };
}

/**
 * Different values among findings: findings sharing a `valueKey` (of the same detector) are one value;
 * a finding without a key is one of its own, as there is nothing to tell it apart by.
 */
export function countDistinct(findings: readonly PolicyFinding[]): number {
  const keys = new Set<string>();
  let unkeyed = 0;
  for (const f of findings) {
    if (f.valueKey === undefined || f.valueKey === null) unkeyed += 1;
    else keys.add(`${f.detector}\0${f.valueKey}`);
  }
  return keys.size + unkeyed;
}

/**
 * One reason per detector that counted, e.g. `pci-bulk: 12 distinct credit_card values (rule needs 10)`
 * or `dangerous-content: private_key found (1)`; with several detectors and a threshold, a last line with
 * the total the threshold was met by. A rule naming no detectors gets one line for all findings.
 */
export function describeFindingMatch(ruleId: string, when: PolicyCondition, match: FindingMatch): string[] {
  const qualifier = qualifierOf(when);
  const needs = needsOf(when);
  const suffix = needs ? ` (${needs})` : '';
  if (!when.detectors) {
    const distinct = when.minDistinct !== undefined ? `, ${match.distinct} distinct` : '';
    return [`${ruleId}: ${match.count} ${plural(match.count, 'finding')}${qualifier}${distinct}${suffix}`];
  }
  const lines = match.matched.map((m) => `${ruleId}: ${describeDetector(when, m, qualifier)}`);
  if (needs && lines.length === 1) return [`${lines[0]}${suffix}`];
  if (needs) lines.push(`${ruleId}: ${describeTotal(when, match)} in all${suffix}`);
  return lines;
}

function findingCounts(when: PolicyCondition, finding: PolicyFinding): boolean {
  if (when.detectors && !when.detectors.includes(finding.detector)) return false;
  if (when.severities && !when.severities.includes(finding.severity)) return false;
  if (when.minSeverity && SEVERITY_RANK[finding.severity] < SEVERITY_RANK[when.minSeverity]) return false;
  // Written so that a NaN confidence never counts as meeting the bar.
  if (when.minConfidence !== undefined && !(finding.confidence >= when.minConfidence)) return false;
  return true;
}

function describeDetector(when: PolicyCondition, m: MatchedDetector, qualifier: string): string {
  if (when.minDistinct !== undefined) {
    const inAll = when.minCount !== undefined ? `, ${m.count} in all` : '';
    return `${m.distinct} distinct ${m.detector} ${plural(m.distinct, 'value')}${qualifier}${inAll}`;
  }
  if (when.minCount !== undefined) return `${m.count} ${m.detector} ${plural(m.count, 'finding')}${qualifier}`;
  return `${m.detector}${qualifier} found (${m.count})`;
}

function describeTotal(when: PolicyCondition, match: FindingMatch): string {
  const count = `${match.count} ${plural(match.count, 'finding')}`;
  const distinct = `${match.distinct} distinct ${plural(match.distinct, 'value')}`;
  if (when.minDistinct !== undefined && when.minCount !== undefined) return `${count}, ${match.distinct} distinct`;
  return when.minDistinct !== undefined ? distinct : count;
}

/** ` of high severity or worse with confidence at least 0.8`, or '' when the rule takes any finding. */
function qualifierOf(when: PolicyCondition): string {
  const parts: string[] = [];
  const { severities, minSeverity } = when;
  if (severities) {
    const allowed = SEVERITIES.filter((s) => severities.includes(s) && (!minSeverity || SEVERITY_RANK[s] >= SEVERITY_RANK[minSeverity]));
    parts.push(`of ${joinOr(allowed)} severity`);
  } else if (minSeverity) {
    parts.push(minSeverity === 'critical' ? 'of critical severity' : `of ${minSeverity} severity or worse`);
  }
  if (when.minConfidence !== undefined) parts.push(`with confidence at least ${when.minConfidence}`);
  return parts.length > 0 ? ` ${parts.join(' ')}` : '';
}

/** `rule needs 10`, or `rule needs 20 findings, 10 distinct` when both thresholds are set. */
function needsOf(when: PolicyCondition): string | undefined {
  const { minCount, minDistinct } = when;
  if (minCount !== undefined && minDistinct !== undefined)
    return `rule needs ${minCount} ${plural(minCount, 'finding')}, ${minDistinct} distinct`;
  const n = minDistinct ?? minCount;
  return n === undefined ? undefined : `rule needs ${n}`;
}

function rank(order: readonly string[], detector: string): number {
  const i = order.indexOf(detector);
  return i === -1 ? order.length : i;
}

function plural(n: number, noun: string): string {
  return n === 1 ? noun : `${noun}s`;
}

function joinOr(words: readonly string[]): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)!}`;
}
