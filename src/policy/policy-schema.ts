import { z } from 'zod';
import type { FindingSeverity } from '../../checks/check.js';
import { configName, strictConfigObject } from '../config/yaml-source.js';
import type { Verdict } from '../tickets/states.js';

/**
 * The schema of a policy file (`policies/<name>.yaml`). A policy is an ordered list of rules; the first
 * rule whose `when` matches an item gives its verdict. The last rule must match everything, so every
 * item gets a verdict from the file rather than from an implicit default. Checks report findings; only
 * a policy turns them into `allow`, `review` or `block`.
 */

export const SEVERITY_RANK: Readonly<Record<FindingSeverity, number>> = { low: 0, medium: 1, high: 2, critical: 3 };

const severity = z.enum(['low', 'medium', 'high', 'critical']) satisfies z.ZodType<FindingSeverity>;
const verdict = z.enum(['allow', 'review', 'block']) satisfies z.ZodType<Verdict>;

/** Conditions of a rule; all given ones must hold (AND). */
const condition = strictConfigObject({
  /** Matches findings from any of these detector ids (`executable`, `extension_mismatch`…). */
  detectors: z
    .array(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, { error: 'must be a detector id such as "executable"' }))
    .min(1)
    .optional(),
  /** How many findings meeting the other finding conditions are needed; default 1. */
  minCount: z.int().min(1).optional(),
  /** Only findings at least this severe count (low < medium < high < critical). */
  minSeverity: severity.optional(),
  /** Only findings with at least this confidence (0..1) count. */
  minConfidence: z.number().min(0).max(1).optional(),
  /** true: some check could not finish on the item. false: every check finished. */
  checkFailed: z.boolean().optional(),
}).refine((c) => Object.values(c).some((v) => v !== undefined), {
  // An empty `when` would silently match everything; the catch-all is spelled by leaving `when` out.
  error: 'must hold at least one condition; leave `when` out for a rule that matches everything',
});

export type PolicyCondition = z.output<typeof condition>;

const rule = strictConfigObject({
  /** Unique in the policy; recorded with each decision and shown in its reasons. */
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'must be lower-case letters, digits and dashes' }),
  /** Why the rule exists, for the people reading decisions. */
  description: z.string().optional(),
  /** Absent: the rule matches every item (a catch-all). */
  when: condition.optional(),
  then: verdict,
  /** Only with `then: review`: how many distinct approvers must approve; default 1. */
  approvals: strictConfigObject({ count: z.int().min(1).max(10) }).optional(),
}).superRefine((r, ctx) => {
  if (r.approvals && r.then !== 'review')
    ctx.addIssue({ code: 'custom', path: ['approvals'], message: 'only applies to rules with `then: review`' });
});

export type PolicyRule = z.output<typeof rule>;

const rules = z
  .array(rule)
  .min(1, { error: 'must list at least one rule' })
  .superRefine(checkRuleOrder, {
    // Run even when single rules are broken, so one pass lists every problem in the file.
    when: (payload) => Array.isArray(payload.value),
  });

export const policySchema = strictConfigObject({
  /** Must equal the file's base name; pipelines refer to the policy by it. */
  name: configName,
  description: z.string().optional(),
  rules,
});

export type Policy = z.output<typeof policySchema>;

/**
 * Ids are unique; only the last rule may be a catch-all (one earlier would hide every rule after it);
 * the last rule must be one (no item is left without a verdict). Entries may be partly invalid here.
 */
function checkRuleOrder(list: readonly unknown[], ctx: z.RefinementCtx): void {
  const seen = new Map<string, number>();
  list.forEach((entry, i) => {
    if (typeof entry !== 'object' || entry === null) return;
    const { id, when } = entry as { id?: unknown; when?: unknown };
    if (typeof id === 'string') {
      const first = seen.get(id);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `"${id}" is already used by rules[${first}]` });
      else seen.set(id, i);
    }
    const isLast = i === list.length - 1;
    if (when === undefined && !isLast) {
      ctx.addIssue({
        code: 'custom',
        path: [i],
        message: 'has no `when`, so it matches everything and the rules after it are never reached',
      });
    }
    if (when !== undefined && isLast) {
      ctx.addIssue({
        code: 'custom',
        path: [i, 'when'],
        message: 'the last rule must have no `when` (a catch-all), so every item gets a verdict',
      });
    }
  });
}
