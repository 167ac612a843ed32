import { z } from 'zod';
import { configName, strictConfigObject } from '../config/yaml-source.js';
import type { Verdict } from '../tickets/states.js';
import { customDetectorSchema } from './custom-detector-schema.js';
import { isBuiltinDetector } from './detector-catalog.js';
import { conditionSchema, globSchema } from './policy-condition.js';

/**
 * The schema of a policy file (`policies/<name>.yaml`). A policy is an ordered list of rules; the first
 * rule whose `when` matches an item gives its verdict. The last rule must match everything, so every
 * item gets a verdict from the file rather than from an implicit default. Checks report findings; only
 * a policy turns them into `allow`, `review` or `block`. Conditions are described in policy-condition.ts.
 */

export { SEVERITY_RANK, type PolicyCondition } from './policy-condition.js';

const verdict = z.enum(['allow', 'review', 'block']) satisfies z.ZodType<Verdict>;

/**
 * Who must approve an item a `review` rule holds: how many distinct people, from which groups. The
 * requester never counts as an approver of their own ticket, and one person counts once.
 */
const approvalsSchema = strictConfigObject({
  /** How many different people must approve; default 1. */
  count: z.int().min(1).max(10).optional(),
  /** Only members of these groups may approve (a member of any of them counts). Absent: any approver. */
  groups: z
    .array(z.string().regex(/^\S(.*\S)?$/, { error: 'must be a group name without surrounding spaces' }))
    .min(1)
    .optional(),
  /**
   * true: every listed group must be represented, each by a different person (two approvers, one from
   * `data-owners` and one from `security`, not one person who is in both). Needs `groups`, and `count`
   * at least as large as the number of groups.
   */
  distinctGroups: z.boolean().optional(),
}).superRefine((a, ctx) => {
  if (a.distinctGroups && !a.groups) ctx.addIssue({ code: 'custom', path: ['distinctGroups'], message: 'needs `groups` to be listed' });
  if (a.distinctGroups && a.groups && (a.count ?? 1) < a.groups.length) {
    ctx.addIssue({
      code: 'custom',
      path: ['count'],
      message: `must be at least ${a.groups.length} (one different person per group) when distinctGroups is true`,
    });
  }
});

const rule = strictConfigObject({
  /** Unique in the policy; recorded with each decision and shown in its reasons. */
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'must be lower-case letters, digits and dashes' }),
  /** Why the rule exists, for the people reading decisions. */
  description: z.string().optional(),
  /** Absent: the rule matches every item (a catch-all). */
  when: conditionSchema.optional(),
  then: verdict,
  /** Only with `then: review`: who must approve; default one approver from anyone allowed to approve. */
  approvals: approvalsSchema.optional(),
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

/**
 * Known-good content that must not raise findings: test card numbers, a published sample file, a folder
 * of fixtures. `values` and `sha256` are applied by the patterns check (a match whose normalized value,
 * or the hex SHA-256 of that value, is listed is not reported, so a value can be allowed without writing
 * it down); `paths` by the evaluator: findings in an item whose
 * path matches, or in an archive member whose path matches, are ignored, and the decision says how many.
 */
const allowListSchema = strictConfigObject({
  values: z.array(z.string().min(1)).min(1).optional(),
  sha256: z
    .array(
      z
        .string()
        .regex(/^[0-9a-fA-F]{64}$/, { error: 'must be a sha256 digest (64 hexadecimal characters)' })
        .transform((s) => s.toLowerCase()),
    )
    .min(1)
    .optional(),
  paths: z.array(globSchema).min(1).optional(),
});

export type AllowList = z.output<typeof allowListSchema>;

export const policySchema = strictConfigObject({
  /** Must equal the file's base name; pipelines refer to the policy by it. */
  name: configName,
  description: z.string().optional(),
  /** Custom detectors (see custom-detector-schema.ts); their ids may be used in rules like built-in ones. */
  detectors: z.array(customDetectorSchema).optional(),
  allow: allowListSchema.optional(),
  rules,
}).superRefine(checkDetectorReferences, { when: (payload) => isRecord(payload.value) });

export type Policy = z.output<typeof policySchema>;

/**
 * Ids are unique; only the last rule may be a catch-all (one earlier would hide every rule after it);
 * the last rule must be one (no item is left without a verdict). Entries may be partly invalid here.
 */
function checkRuleOrder(list: readonly unknown[], ctx: z.RefinementCtx): void {
  const seen = new Map<string, number>();
  list.forEach((entry, i) => {
    if (!isRecord(entry)) return;
    const { id, when } = entry;
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

/**
 * Custom detector ids are unique, and every detector a rule names is built in or declared here: a typo
 * would otherwise make a rule that never matches. Runs on partly invalid input, reading it defensively.
 */
function checkDetectorReferences(policy: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const declared = new Map<string, number>();
  const custom = Array.isArray(policy.detectors) ? (policy.detectors as unknown[]) : [];
  custom.forEach((entry, i) => {
    const id = isRecord(entry) ? entry.id : undefined;
    if (typeof id !== 'string') return;
    const first = declared.get(id);
    if (first !== undefined)
      ctx.addIssue({ code: 'custom', path: ['detectors', i, 'id'], message: `"${id}" is already declared by detectors[${first}]` });
    else declared.set(id, i);
  });
  const ruleList = Array.isArray(policy.rules) ? (policy.rules as unknown[]) : [];
  ruleList.forEach((entry, i) => {
    const when = isRecord(entry) ? entry.when : undefined;
    const detectors = isRecord(when) && Array.isArray(when.detectors) ? (when.detectors as unknown[]) : [];
    detectors.forEach((id, j) => {
      if (typeof id !== 'string' || isBuiltinDetector(id) || declared.has(id)) return;
      ctx.addIssue({
        code: 'custom',
        path: ['rules', i, 'when', 'detectors', j],
        message: `"${id}" is neither a built-in detector nor declared under \`detectors\``,
      });
    });
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
