import { z } from 'zod';
import type { FindingSeverity } from '../../checks/check.js';
import { configName, strictConfigObject } from '../config/yaml-source.js';
import { byteSize } from './byte-size.js';
import { compileGlob } from './path-glob.js';

/**
 * The `when` of a policy rule. Every condition given must hold (AND); a rule without `when` matches
 * everything. There are three kinds of conditions:
 *
 * - Finding conditions pick the findings that count: `detectors`, `severities`, `minSeverity`,
 *   `minConfidence` (a finding counts when it meets all of them), then `minCount` and `minDistinct` say
 *   how many must count. With any finding condition given, at least one finding must count.
 * - Item conditions are about the file and its route: `fileTypes`, `minSize`, `maxSize`, `paths`,
 *   `pipelines`, `destinations`. A fact the evaluator was not given (no detected type, no size) never
 *   satisfies a condition about it.
 * - `checkFailed` is about the inspection itself.
 */

export const SEVERITY_RANK: Readonly<Record<FindingSeverity, number>> = { low: 0, medium: 1, high: 2, critical: 3 };
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const satisfies readonly FindingSeverity[];

const severity = z.enum(SEVERITIES) satisfies z.ZodType<FindingSeverity>;

/** A MIME type with `*` wildcards (`text/csv`, `text/*`, `application/vnd.ms-*`), or an extension (`.zip`, `.tar.gz`). */
const FILE_TYPE = /^(?:(?:\*|[a-z0-9][a-z0-9!#$&^_.+-]*)\/[a-z0-9!#$&^_.+*-]+|\.[a-z0-9][a-z0-9_-]*(?:\.[a-z0-9][a-z0-9_-]*)*)$/;

const fileType = z
  .string()
  .transform((s) => s.trim().toLowerCase())
  .pipe(z.string().regex(FILE_TYPE, { error: 'must be a MIME type such as "text/csv" or "text/*", or an extension such as ".zip"' }));

/** A path glob (see path-glob.ts), refused at load when malformed. */
export const globSchema = z.string().superRefine((value, ctx) => {
  const compiled = compileGlob(value);
  if (!compiled.ok) ctx.addIssue({ code: 'custom', message: `is not a valid glob: ${compiled.problem}` });
});

/** A non-empty list without repeats; a repeat is reported at the repeated entry. */
function list<T extends z.ZodType>(entry: T) {
  return z
    .array(entry)
    .min(1, { error: 'must list at least one entry' })
    .superRefine((values, ctx) => {
      values.forEach((value, i) => {
        if (values.indexOf(value) !== i) ctx.addIssue({ code: 'custom', path: [i], message: `${JSON.stringify(value)} is listed twice` });
      });
    });
}

export const conditionSchema = strictConfigObject({
  /** Findings from any of these detectors count: built-in ids, or custom ones declared in the policy's `detectors`. */
  detectors: list(z.string()).optional(),
  /** Findings of any of these severities count. */
  severities: list(severity).optional(),
  /** Findings at least this severe count (low < medium < high < critical). */
  minSeverity: severity.optional(),
  /** Findings with at least this confidence (0..1) count. */
  minConfidence: z.number().min(0).max(1).optional(),
  /** How many counting findings are needed; default 1. */
  minCount: z.int().min(1).optional(),
  /**
   * How many different values the counting findings must hold (ten different card numbers, not one card
   * number ten times). Values are told apart by the findings' `valueKey`; a finding without one (an
   * executable, a damaged file) is a value of its own.
   */
  minDistinct: z.int().min(1).optional(),
  /** true: some check could not finish on the item. false: every check finished. */
  checkFailed: z.boolean().optional(),
  /**
   * The item's type is any of these: MIME types, by content, with `*` wildcards (`text/*`); or
   * extensions, which match when the file's name ends with one or its content was detected as it
   * (so renaming a `.zip` does not get it past a `.zip` rule). Compared case-insensitively.
   */
  fileTypes: list(fileType).optional(),
  /** The item is at least this large: bytes, or `10MB`, `1.5 GiB` (see byte-size.ts). */
  minSize: byteSize.optional(),
  /** The item is at most this large. */
  maxSize: byteSize.optional(),
  /** The item's path (relative to the source, `/`-separated) matches any of these globs (see path-glob.ts). */
  paths: list(globSchema).optional(),
  /** The ticket runs through any of these pipelines, by name. */
  pipelines: list(configName).optional(),
  /** The pipeline delivers through any of these connector kinds (`local`, `s3`, `sftp`). */
  destinations: list(z.string().regex(/^[a-z0-9-]+$/, { error: 'must be a connector kind such as "local", "s3" or "sftp"' })).optional(),
}).superRefine((c, ctx) => {
  if (!Object.values(c).some((v) => v !== undefined)) {
    // An empty `when` would silently match everything; the catch-all is spelled by leaving `when` out.
    ctx.addIssue({ code: 'custom', message: 'must hold at least one condition; leave `when` out for a rule that matches everything' });
  }
  if (c.minSize !== undefined && c.maxSize !== undefined && c.minSize > c.maxSize) {
    ctx.addIssue({ code: 'custom', path: ['maxSize'], message: 'is smaller than minSize, so the rule can never match' });
  }
  const { severities, minSeverity } = c;
  if (severities && minSeverity && !severities.some((s) => SEVERITY_RANK[s] >= SEVERITY_RANK[minSeverity])) {
    ctx.addIssue({
      code: 'custom',
      path: ['severities'],
      message: `holds no severity of ${minSeverity} or worse, so the rule can never match`,
    });
  }
});

export type PolicyCondition = z.output<typeof conditionSchema>;

/** Whether the rule looks at findings at all (then at least one finding must count). */
export function hasFindingConditions(when: PolicyCondition): boolean {
  return (
    when.detectors !== undefined ||
    when.severities !== undefined ||
    when.minSeverity !== undefined ||
    when.minConfidence !== undefined ||
    when.minCount !== undefined ||
    when.minDistinct !== undefined
  );
}

/** Whether the rule looks at the item or its route. */
export function hasItemConditions(when: PolicyCondition): boolean {
  return (
    when.fileTypes !== undefined ||
    when.minSize !== undefined ||
    when.maxSize !== undefined ||
    when.paths !== undefined ||
    when.pipelines !== undefined ||
    when.destinations !== undefined
  );
}
