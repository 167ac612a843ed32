import { describe, expect, it } from 'vitest';
import type { Finding } from '../../checks/check.js';
import { evaluatePolicy, type PolicyFinding } from './evaluate-policy.js';
import { policySchema } from './policy-schema.js';

/** A finding with overrides; defaults describe a medium, fairly sure file-type finding. */
function finding(overrides: Partial<Finding> = {}): Finding {
  return { check: 'filetype', detector: 'extension_mismatch', severity: 'medium', confidence: 0.9, location: { offset: 0 }, ...overrides };
}

/** `n` card-number findings cycling through `distinct` value keys. */
function cards(n: number, distinct = n): Finding[] {
  return Array.from({ length: n }, (_, i) =>
    finding({ check: 'patterns', detector: 'credit_card', severity: 'high', valueKey: `credit_card#${(i % distinct) + 1}` }),
  );
}

const policy = (rules: unknown[]) => policySchema.parse({ name: 'test', rules });

describe('finding conditions', () => {
  it('matches a detector list on any of its detectors, one reason per detector found, in the rule order', () => {
    const p = policy([
      { id: 'bad', when: { detectors: ['private_key', 'jwt', 'iban'] }, then: 'block' },
      { id: 'rest', then: 'allow' },
    ]);
    const findings = [
      finding({ detector: 'iban' }),
      finding({ detector: 'private_key' }),
      finding({ detector: 'iban' }),
      finding({ detector: 'us_ssn' }),
    ];
    const decision = evaluatePolicy(p, { findings, failedChecks: [] });
    expect(decision.reasons).toEqual(['bad: private_key found (1)', 'bad: iban found (2)']);
    expect(decision.matched.map((m) => m.detector)).toEqual(['private_key', 'iban']);
  });

  it('counts only findings meeting every condition against minCount', () => {
    const p = policy([
      { id: 'many', when: { detectors: ['us_ssn'], minCount: 3, minSeverity: 'high', minConfidence: 0.5 }, then: 'block' },
      { id: 'rest', then: 'allow' },
    ]);
    const strong = finding({ detector: 'us_ssn', severity: 'high', confidence: 0.8 });
    const decide = (findings: Finding[]) => evaluatePolicy(p, { findings, failedChecks: [] });
    expect(decide([strong, strong]).rule).toBe('rest');
    expect(decide([strong, strong, finding({ detector: 'us_ssn', severity: 'medium', confidence: 0.9 })]).rule).toBe('rest');
    expect(decide([strong, strong, finding({ detector: 'us_ssn', severity: 'critical', confidence: 0.4 })]).rule).toBe('rest');
    expect(decide([strong, strong, finding({ detector: 'us_ssn', severity: 'critical', confidence: 0.5 })])).toMatchObject({
      rule: 'many',
      reasons: ['many: 3 us_ssn findings of high severity or worse with confidence at least 0.5 (rule needs 3)'],
    });
  });

  it('matches `severities` as a list of allowed severities, ANDed with minSeverity', () => {
    const p = policy([
      { id: 'mid', when: { severities: ['medium', 'high'] }, then: 'review' },
      { id: 'rest', then: 'allow' },
    ]);
    const verdictFor = (severity: Finding['severity']) =>
      evaluatePolicy(p, { findings: [finding({ severity })], failedChecks: [] }).verdict;
    expect((['low', 'medium', 'high', 'critical'] as const).map(verdictFor)).toEqual(['allow', 'review', 'review', 'allow']);
    expect(evaluatePolicy(p, { findings: [finding({ severity: 'high' })], failedChecks: [] }).reasons).toEqual([
      'mid: 1 finding of medium or high severity',
    ]);
    const both = policy([
      { id: 'high-only', when: { severities: ['medium', 'high'], minSeverity: 'high' }, then: 'review' },
      { id: 'rest', then: 'allow' },
    ]);
    expect(evaluatePolicy(both, { findings: [finding({ severity: 'medium' })], failedChecks: [] }).verdict).toBe('allow');
    expect(evaluatePolicy(both, { findings: [finding({ severity: 'high' })], failedChecks: [] }).reasons).toEqual([
      'high-only: 1 finding of high severity',
    ]);
  });

  it('orders severities low < medium < high < critical', () => {
    const p = policy([
      { id: 'severe', when: { minSeverity: 'high' }, then: 'review' },
      { id: 'rest', then: 'allow' },
    ]);
    const verdictFor = (severity: Finding['severity']) =>
      evaluatePolicy(p, { findings: [finding({ severity })], failedChecks: [] }).verdict;
    expect((['low', 'medium', 'high', 'critical'] as const).map(verdictFor)).toEqual(['allow', 'allow', 'review', 'review']);
    expect(evaluatePolicy(p, { findings: [finding({ severity: 'critical' })], failedChecks: [] }).reasons).toEqual([
      'severe: 1 finding of high severity or worse',
    ]);
  });

  describe('minDistinct', () => {
    const p = policy([
      { id: 'bulk', when: { detectors: ['credit_card', 'iban'], minDistinct: 5 }, then: 'block' },
      { id: 'rest', then: 'allow' },
    ]);
    const decide = (findings: PolicyFinding[]) => evaluatePolicy(p, { findings, failedChecks: [] });

    it('counts a value seen many times once', () => {
      expect(decide(cards(100, 4)).rule).toBe('rest');
      expect(decide(cards(5)).rule).toBe('bulk');
    });

    it('counts each finding without a value key as a value of its own', () => {
      const unkeyed = Array.from({ length: 5 }, () => finding({ detector: 'iban' }));
      expect(decide(unkeyed)).toMatchObject({ rule: 'bulk', matched: [{ detector: 'iban', count: 5, distinct: 5 }] });
    });

    it('adds up distinct values across the rule detectors, with a total line saying what the rule needs', () => {
      const ibans = [finding({ detector: 'iban', valueKey: 'iban#1' }), finding({ detector: 'iban', valueKey: 'iban#2' })];
      expect(decide([...cards(6, 3), ...ibans])).toMatchObject({
        rule: 'bulk',
        reasons: ['bulk: 3 distinct credit_card values', 'bulk: 2 distinct iban values', 'bulk: 5 distinct values in all (rule needs 5)'],
        matched: [
          { detector: 'credit_card', count: 6, distinct: 3 },
          { detector: 'iban', count: 2, distinct: 2 },
        ],
      });
    });

    it('keeps equal value keys of different detectors apart', () => {
      const same = ['credit_card', 'iban'].flatMap((detector) => [1, 2].map((n) => finding({ detector, valueKey: `v#${n}` })));
      expect(decide([...same, finding({ detector: 'iban', valueKey: 'v#3' })]).rule).toBe('bulk');
    });

    it('needs both thresholds when minCount is given too', () => {
      const both = policy([
        { id: 'both', when: { detectors: ['credit_card'], minCount: 10, minDistinct: 3 }, then: 'block' },
        { id: 'rest', then: 'allow' },
      ]);
      expect(evaluatePolicy(both, { findings: cards(9, 3), failedChecks: [] }).rule).toBe('rest');
      expect(evaluatePolicy(both, { findings: cards(10, 2), failedChecks: [] }).rule).toBe('rest');
      expect(evaluatePolicy(both, { findings: cards(10, 3), failedChecks: [] }).reasons).toEqual([
        'both: 3 distinct credit_card values, 10 in all (rule needs 10 findings, 3 distinct)',
      ]);
    });
  });
});
