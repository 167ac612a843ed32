import type { Verdict } from '../tickets/states.js';
import { detectorLabel } from './detector-catalog.js';
import type { PolicyDecision, PolicyFinding } from './evaluate-policy.js';
import { countDistinct } from './match-findings.js';

const VERDICT_WORDS: Readonly<Record<Verdict, string>> = { allow: 'allowed', review: 'needs review', block: 'blocked' };

/**
 * One line a requester may read about the decision on their file: what kind of thing was found, how
 * many, and which rule decided, e.g. `blocked: payment card numbers, 12 found, rule pci-bulk`. It never
 * holds excerpts, locations, value keys or check errors, only detector names and counts (counts of
 * distinct values, as a person would count them).
 *
 * When the deciding rule did not look at findings (a rule on size or type, a catch-all), the kinds of
 * findings the item has are added as `also found`, so a held file is not a mystery to its owner.
 */
export function summarizeForRequester(
  decision: Pick<PolicyDecision, 'verdict' | 'rule' | 'matched' | 'failedChecks'>,
  findings: readonly PolicyFinding[],
): string {
  const word = VERDICT_WORDS[decision.verdict];
  if (decision.matched.length > 0) {
    const kinds = decision.matched.map((m) => `${detectorLabel(m.detector)}, ${m.distinct} found`).join('; ');
    return `${word}: ${kinds}, rule ${decision.rule}`;
  }
  if (decision.verdict !== 'allow' && decision.failedChecks.length > 0) {
    return `${word}: the file could not be fully inspected, rule ${decision.rule}`;
  }
  const found = decision.verdict === 'allow' ? [] : kindsFound(findings);
  return found.length > 0 ? `${word}, rule ${decision.rule}; also found: ${found.join(', ')}` : `${word}, rule ${decision.rule}`;
}

/** `e-mail addresses (3)` per detector, by label. */
function kindsFound(findings: readonly PolicyFinding[]): string[] {
  const detectors = [...new Set(findings.map((f) => f.detector))].sort();
  return detectors.map((d) => `${detectorLabel(d)} (${countDistinct(findings.filter((f) => f.detector === d))})`);
}
