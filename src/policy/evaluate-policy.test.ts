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

/** `n` card-number findings cycling through `distinct` value keys. */
function cards(n: number, distinct = n): Finding[] {
  return Array.from({ length: n }, (_, i) =>
    finding({ check: 'patterns', detector: 'credit_card', severity: 'high', valueKey: `credit_card#${(i % distinct) + 1}` }),
  );
}

const policy = (rules: unknown[], extra: Record<string, unknown> = {}) => policySchema.parse({ name: 'test', ...extra, rules });
const none = { findings: [], failedChecks: [] };
const noApprovals = { count: 0, groups: [], distinctGroups: false };

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
      requiredApprovals: noApprovals,
      matched: [],
      failedChecks: [],
    });
  });

  it('blocks executables, naming the detector and how many were found', () => {
    const findings = [finding({ detector: 'executable', severity: 'critical' }), finding()];
    expect(evaluatePolicy(defaults, { findings, failedChecks: [] })).toMatchObject({
      verdict: 'block',
      rule: 'dangerous-content',
      reasons: ['dangerous-content: executable found (1)'],
      matched: [{ detector: 'executable', count: 1, distinct: 1 }],
    });
  });

  it('sends an extension mismatch to review needing one approval from anyone', () => {
    expect(evaluatePolicy(defaults, { findings: [finding(), finding()], failedChecks: [] })).toEqual({
      verdict: 'review',
      rule: 'review-sensitive',
      reasons: ['review-sensitive: extension_mismatch found (2)'],
      requiredApprovals: { count: 1, groups: [], distinctGroups: false },
      matched: [{ detector: 'extension_mismatch', count: 2, distinct: 2 }],
      failedChecks: [],
    });
  });

  it('blocks ten distinct card numbers, saying how many the rule needs', () => {
    expect(evaluatePolicy(defaults, { findings: cards(30, 12), failedChecks: [] })).toMatchObject({
      verdict: 'block',
      rule: 'pci-bulk',
      reasons: ['pci-bulk: 12 distinct credit_card values (rule needs 10)'],
      matched: [{ detector: 'credit_card', count: 30, distinct: 12 }],
    });
    expect(evaluatePolicy(defaults, { findings: cards(30, 9), failedChecks: [] }).rule).toBe('review-sensitive');
  });

  it('blocks a SECRET marking and reviews a CONFIDENTIAL one', () => {
    const marking = (severity: Finding['severity']) => [finding({ check: 'dlp', detector: 'classification_marking', severity })];
    expect(evaluatePolicy(defaults, { findings: marking('high'), failedChecks: [] })).toMatchObject({
      rule: 'classified',
      reasons: ['classified: classification_marking of high severity or worse found (1)'],
    });
    expect(evaluatePolicy(defaults, { findings: marking('medium'), failedChecks: [] }).rule).toBe('review-sensitive');
  });

  it('allows e-mail addresses alone', () => {
    const emails = Array.from({ length: 200 }, (_, i) =>
      finding({ detector: 'email_address', severity: 'low', valueKey: `email_address#${i}` }),
    );
    expect(evaluatePolicy(defaults, { findings: emails, failedChecks: [] }).verdict).toBe('allow');
  });

  it('blocks an item a check could not finish on, before looking at findings', () => {
    expect(evaluatePolicy(defaults, { findings: [finding({ detector: 'executable' })], failedChecks: ['filetype'] })).toMatchObject({
      verdict: 'block',
      rule: 'check-failed',
      reasons: ['check-failed: check filetype could not finish'],
      failedChecks: ['filetype'],
    });
  });
});

describe('evaluatePolicy', () => {
  it('uses the first matching rule, in file order', () => {
    const rules = [
      { id: 'first', when: { detectors: ['jwt'] }, then: 'review' },
      { id: 'second', when: { detectors: ['jwt'] }, then: 'block' },
      { id: 'rest', then: 'allow' },
    ];
    expect(evaluatePolicy(policy(rules), { findings: [finding({ detector: 'jwt' })], failedChecks: [] }).rule).toBe('first');
  });

  it('describes what review needs: how many people, from which groups', () => {
    const p = policy([
      {
        id: 'two',
        when: { minCount: 1 },
        then: 'review',
        approvals: { count: 2, groups: ['data-owners', 'security'], distinctGroups: true },
      },
      { id: 'one', when: { checkFailed: false }, then: 'review' },
      { id: 'rest', then: 'block' },
    ]);
    expect(evaluatePolicy(p, { findings: [finding()], failedChecks: [] }).requiredApprovals).toEqual({
      count: 2,
      groups: ['data-owners', 'security'],
      distinctGroups: true,
    });
    expect(evaluatePolicy(p, none).requiredApprovals).toEqual({ count: 1, groups: [], distinctGroups: false });
    expect(evaluatePolicy(p, { findings: [], failedChecks: ['dlp'] }).requiredApprovals).toEqual(noApprovals);
  });

  it('matches checkFailed: false only when every check finished', () => {
    const p = policy([
      { id: 'clean', when: { checkFailed: false }, then: 'review' },
      { id: 'rest', then: 'block' },
    ]);
    expect(evaluatePolicy(p, none)).toMatchObject({ rule: 'clean', reasons: ['clean: all checks finished'] });
    expect(evaluatePolicy(p, { findings: [], failedChecks: ['dlp'] }).rule).toBe('rest');
  });

  describe('allow-list paths', () => {
    const p = policy(
      [
        { id: 'cards', when: { detectors: ['credit_card'] }, then: 'block' },
        { id: 'rest', then: 'allow' },
      ],
      {
        allow: { paths: ['fixtures/**', '*.sample.csv'] },
      },
    );

    it('ignores every finding of an item whose path matches, and says so', () => {
      expect(evaluatePolicy(p, { findings: cards(2), failedChecks: [], item: { path: 'fixtures/pay/cards.csv', size: 10 } })).toMatchObject(
        {
          verdict: 'allow',
          reasons: ['rest: no earlier rule matched', 'allow-list: 2 finding(s) ignored by path'],
        },
      );
    });

    it('ignores findings in archive members whose path matches, keeping the others', () => {
      const inMember = (entry: string) => finding({ detector: 'credit_card', location: { entry } });
      const findings = [inMember('fixtures/a.csv'), inMember('outer.tar!/x.sample.csv'), inMember('real/b.csv')];
      expect(evaluatePolicy(p, { findings, failedChecks: [], item: { path: 'bundle.zip', size: 10 } })).toMatchObject({
        verdict: 'block',
        reasons: ['cards: credit_card found (1)', 'allow-list: 2 finding(s) ignored by path'],
        matched: [{ detector: 'credit_card', count: 1, distinct: 1 }],
      });
    });

    it('never lets an allow-listed path pass a check that could not finish', () => {
      expect(
        evaluatePolicy(p, { findings: cards(1), failedChecks: ['patterns'], item: { path: 'fixtures/a.csv', size: 1 } }),
      ).toMatchObject({
        verdict: 'block',
        rule: 'fail-closed',
      });
    });
  });

  describe('fails closed', () => {
    const allowAll = policy([{ id: 'allow-all', then: 'allow' }]);

    it('turns an allow into a block under rule fail-closed when a check could not finish', () => {
      expect(evaluatePolicy(allowAll, { findings: [], failedChecks: ['filetype', 'dlp'] })).toEqual({
        verdict: 'block',
        rule: 'fail-closed',
        reasons: ['fail-closed: checks dlp, filetype could not finish, so the item is blocked instead of allowed by rule allow-all'],
        requiredApprovals: noApprovals,
        matched: [],
        failedChecks: ['dlp', 'filetype'],
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
      const p = { rules: [{ id: 'only', when: { detectors: ['jwt'] }, then: 'allow' as const }] };
      expect(evaluatePolicy(p, none)).toMatchObject({ verdict: 'block', rule: 'no-match' });
    });
  });

  it('is deterministic: same input, same decision, whatever the order of failed checks', () => {
    const p = policy([
      { id: 'bad', when: { detectors: ['jwt', 'iban'] }, then: 'block' },
      { id: 'rest', then: 'allow' },
    ]);
    const input = { findings: [finding({ detector: 'iban' }), finding({ detector: 'jwt' })], failedChecks: [] };
    const first = evaluatePolicy(p, input);
    expect(evaluatePolicy(p, structuredClone(input))).toEqual(first);
    expect(first.reasons).toEqual(['bad: jwt found (1)', 'bad: iban found (1)']);
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
