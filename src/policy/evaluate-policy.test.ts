import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../checks/check.js';
import { evaluatePolicy, worstVerdict } from './evaluate-policy.js';
import { loadPolicy, type LoadedPolicy } from './policy-loader.js';
import { policySchema } from './policy-schema.js';

/** A finding with overrides; defaults describe a medium, fairly sure file-type finding. */
function finding(overrides: Partial<Finding> = {}): Finding {
  return { check: 'filetype', detector: 'extension_mismatch', severity: 'medium', confidence: 0.9, location: { offset: 0 }, ...overrides };
}

const policy = (rules: unknown[]) => policySchema.parse({ name: 'test', rules });
const none = { findings: [], failedChecks: [] };

describe('evaluatePolicy with the default policy', () => {
  let defaults: LoadedPolicy;
  beforeAll(async () => {
    defaults = await loadPolicy(path.resolve(import.meta.dirname, '../../policies'), 'default');
  });

  it('allows an item without findings', () => {
    expect(evaluatePolicy(defaults, none)).toEqual({
      verdict: 'allow',
      rule: 'default-allow',
      reasons: ['default-allow: no earlier rule matched'],
      requiredApprovals: 0,
    });
  });

  it('blocks executables, naming the detector and how many were found', () => {
    const findings = [finding({ detector: 'executable', severity: 'critical' }), finding()];
    expect(evaluatePolicy(defaults, { findings, failedChecks: [] })).toMatchObject({
      verdict: 'block',
      rule: 'dangerous-content',
      reasons: ['dangerous-content: executable found (1)'],
    });
  });

  it('sends an extension mismatch to review needing one approval', () => {
    expect(evaluatePolicy(defaults, { findings: [finding(), finding()], failedChecks: [] })).toEqual({
      verdict: 'review',
      rule: 'review-suspicious',
      reasons: ['review-suspicious: extension_mismatch found (2)'],
      requiredApprovals: 1,
    });
  });

  it('blocks an item a check could not finish on, before looking at findings', () => {
    expect(evaluatePolicy(defaults, { findings: [finding({ detector: 'executable' })], failedChecks: ['filetype'] })).toMatchObject({
      verdict: 'block',
      rule: 'check-failed',
      reasons: ['check-failed: check filetype could not finish'],
    });
  });
});

describe('evaluatePolicy', () => {
  it('uses the first matching rule, in file order', () => {
    const rules = [
      { id: 'first', when: { detectors: ['a'] }, then: 'review' },
      { id: 'second', when: { detectors: ['a'] }, then: 'block' },
      { id: 'rest', then: 'allow' },
    ];
    expect(evaluatePolicy(policy(rules), { findings: [finding({ detector: 'a' })], failedChecks: [] }).rule).toBe('first');
  });

  it('matches a detector list on any of its detectors, one reason per detector found', () => {
    const p = policy([
      { id: 'bad', when: { detectors: ['x', 'y', 'z'] }, then: 'block' },
      { id: 'rest', then: 'allow' },
    ]);
    const findings = [finding({ detector: 'z' }), finding({ detector: 'x' }), finding({ detector: 'z' }), finding({ detector: 'other' })];
    expect(evaluatePolicy(p, { findings, failedChecks: [] }).reasons).toEqual(['bad: x found (1)', 'bad: z found (2)']);
  });

  it('counts only findings meeting every condition against minCount', () => {
    const p = policy([
      { id: 'many', when: { detectors: ['pii'], minCount: 3, minSeverity: 'high', minConfidence: 0.5 }, then: 'block' },
      { id: 'rest', then: 'allow' },
    ]);
    const strong = finding({ detector: 'pii', severity: 'high', confidence: 0.8 });
    const decide = (findings: Finding[]) => evaluatePolicy(p, { findings, failedChecks: [] }).rule;
    expect(decide([strong, strong])).toBe('rest');
    expect(decide([strong, strong, finding({ detector: 'pii', severity: 'medium', confidence: 0.9 })])).toBe('rest');
    expect(decide([strong, strong, finding({ detector: 'pii', severity: 'critical', confidence: 0.4 })])).toBe('rest');
    expect(decide([strong, strong, finding({ detector: 'pii', severity: 'critical', confidence: 0.5 })])).toBe('many');
  });

  it('orders severities low < medium < high < critical', () => {
    const p = policy([
      { id: 'severe', when: { minSeverity: 'high' }, then: 'review' },
      { id: 'rest', then: 'allow' },
    ]);
    const verdictFor = (severity: Finding['severity']) =>
      evaluatePolicy(p, { findings: [finding({ severity })], failedChecks: [] }).verdict;
    expect(['low', 'medium', 'high', 'critical'].map((s) => verdictFor(s as Finding['severity']))).toEqual([
      'allow',
      'allow',
      'review',
      'review',
    ]);
    expect(evaluatePolicy(p, { findings: [finding({ severity: 'critical' })], failedChecks: [] }).reasons).toEqual([
      'severe: 1 finding of high severity or worse',
    ]);
  });

  it('uses the rule approvals count for review and 0 otherwise', () => {
    const p = policy([
      { id: 'two', when: { minCount: 1 }, then: 'review', approvals: { count: 2 } },
      { id: 'rest', then: 'allow' },
    ]);
    expect(evaluatePolicy(p, { findings: [finding()], failedChecks: [] }).requiredApprovals).toBe(2);
    expect(evaluatePolicy(p, none).requiredApprovals).toBe(0);
  });

  it('matches checkFailed: false only when every check finished', () => {
    const p = policy([
      { id: 'clean', when: { checkFailed: false }, then: 'review' },
      { id: 'rest', then: 'block' },
    ]);
    expect(evaluatePolicy(p, none)).toMatchObject({ rule: 'clean', reasons: ['clean: all checks finished'] });
    expect(evaluatePolicy(p, { findings: [], failedChecks: ['dlp'] }).rule).toBe('rest');
  });

  describe('fails closed', () => {
    const allowAll = policy([{ id: 'allow-all', then: 'allow' }]);

    it('turns an allow into a block under rule fail-closed when a check could not finish', () => {
      expect(evaluatePolicy(allowAll, { findings: [], failedChecks: ['filetype', 'dlp'] })).toEqual({
        verdict: 'block',
        rule: 'fail-closed',
        reasons: ['fail-closed: checks dlp, filetype could not finish, so the item is blocked instead of allowed by rule allow-all'],
        requiredApprovals: 0,
      });
    });

    it('keeps a review or block verdict as the policy gave it', () => {
      const p = policy([
        { id: 'look', when: { minCount: 1 }, then: 'review' },
        { id: 'rest', then: 'allow' },
      ]);
      expect(evaluatePolicy(p, { findings: [finding()], failedChecks: ['dlp'] })).toMatchObject({ verdict: 'review', rule: 'look' });
    });

    it('blocks when no rule matches a policy built in code', () => {
      const p = { rules: [{ id: 'only', when: { detectors: ['x'] }, then: 'allow' as const }] };
      expect(evaluatePolicy(p, none)).toMatchObject({ verdict: 'block', rule: 'no-match' });
    });
  });

  it('is deterministic: same input, same decision, whatever the order of failed checks', () => {
    const p = policy([
      { id: 'bad', when: { detectors: ['a', 'b'] }, then: 'block' },
      { id: 'rest', then: 'allow' },
    ]);
    const input = { findings: [finding({ detector: 'b' }), finding({ detector: 'a' })], failedChecks: [] };
    const first = evaluatePolicy(p, input);
    expect(evaluatePolicy(p, structuredClone(input))).toEqual(first);
    expect(first.reasons).toEqual(['bad: a found (1)', 'bad: b found (1)']);
    const allowAll = policy([{ id: 'all', then: 'allow' }]);
    expect(evaluatePolicy(allowAll, { findings: [], failedChecks: ['y', 'x', 'y'] })).toEqual(
      evaluatePolicy(allowAll, { findings: [], failedChecks: ['x', 'y'] }),
    );
  });

  it('does not modify its input', () => {
    const input = Object.freeze({ findings: Object.freeze([finding()]), failedChecks: Object.freeze(['b', 'a']) });
    expect(() => evaluatePolicy(policy([{ id: 'all', then: 'allow' }]), input)).not.toThrow();
    expect(input.failedChecks).toEqual(['b', 'a']);
  });
});

describe('worstVerdict', () => {
  it('ranks block over review over allow', () => {
    expect(worstVerdict(['allow', 'review', 'allow'])).toBe('review');
    expect(worstVerdict(['review', 'block', 'allow'])).toBe('block');
    expect(worstVerdict(['allow'])).toBe('allow');
  });

  it('is allow for no verdicts (nothing was held back)', () => {
    expect(worstVerdict([])).toBe('allow');
  });
});
