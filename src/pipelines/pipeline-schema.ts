import { z } from 'zod';
import { compileGlob } from '../../connectors/glob.js';
import type { Selector } from '../../connectors/connector.js';
import { INLINE_SECRET_MESSAGE, isSecretRef } from '../config/secret-ref.js';
import { configName, strictConfigObject } from '../config/yaml-source.js';
import type { DeliveryMode } from '../tickets/states.js';

/**
 * The schema of a pipeline file (`pipelines/<name>.yaml`): where items come from, where they go, which
 * checks inspect them and which policy decides. Connector settings are only checked for `kind` and for
 * inline secrets here; each connector validates the rest of its own settings when it is built.
 */

/**
 * Setting names that look like credentials. Connectors declare their own secret fields with
 * `secretRef()`; this catches the same mistake at pipeline load, before any connector is built.
 */
const SENSITIVE_KEY = /password|passphrase|secret|token|private_?key|credential|api_?key/i;

/** Source keys that choose what to fetch; they are taken out of the connector settings into `selector`. */
const SELECTOR_KEYS = ['include', 'exclude', 'prefix'] as const;

/** A selector glob, checked with the matcher the connectors use, so a malformed one fails at load with its line. */
const glob = z
  .string()
  .min(1)
  .superRefine((pattern, ctx) => {
    try {
      compileGlob(pattern);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message.replace(/^Glob pattern /, 'glob ') });
    }
  });
const prefix = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split(/[\\/]/).includes('..'), {
    error: 'must be a relative path inside the source root, without ".."',
  });

const connectorBase = {
  kind: z.string().regex(/^[a-z0-9-]+$/, { error: 'must be a connector kind such as "local", "s3" or "sftp"' }),
};

/**
 * What a pipeline hands to its connector: `kind` plus the connector's own settings, passed through
 * untouched (a source's selector keys excepted). The connector's `parseConfig` validates the rest.
 */
export interface ConnectorSettings {
  kind: string;
  [setting: string]: unknown;
}

const source = z
  .looseObject({ ...connectorBase, include: z.array(glob).min(1).optional(), exclude: z.array(glob).optional(), prefix: prefix.optional() })
  .superRefine(refuseInlineSecrets, { when: isObjectPayload })
  .transform(({ include, exclude, prefix, ...settings }): { settings: ConnectorSettings; selector: Selector } => ({
    settings,
    selector: { ...(include && { include }), ...(exclude && { exclude }), ...(prefix && { prefix }) },
  }));

const destination = z
  .looseObject(connectorBase)
  .superRefine(
    (value, ctx) => {
      for (const key of SELECTOR_KEYS) {
        if (key in value) ctx.addIssue({ code: 'custom', path: [key], message: 'only applies to the source (it selects what is fetched)' });
      }
      refuseInlineSecrets(value, ctx);
    },
    { when: isObjectPayload },
  )
  .transform((settings): ConnectorSettings => settings);

/** A named user (`name` is their Airlock user name), or every enabled user of an approver group at submit time. */
const approver = z.union([
  strictConfigObject({ name: z.string().min(1), email: z.email() }),
  strictConfigObject({ group: z.string().min(1) }),
]);

/** Check ids as registered in `checks/index.ts`; whether each exists is checked against that registry by the caller. */
const checkId = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, { error: 'must be a check id such as "filetype"' });

const timezone = z.string().refine(isTimeZone, { error: 'must be an IANA time zone such as "Europe/Berlin" or "UTC"' });

const schedule = strictConfigObject({
  cron: z.string().superRefine((cron, ctx) => {
    const problem = cronProblem(cron);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  timezone: timezone.default('UTC'),
  /** Occurrences that came due while no Airlock process ran: `none` lets them go, `once` runs the latest one at start. */
  catchUp: z.enum(['none', 'once']).default('none'),
});

/** How runs start. Exactly one of `manual: true` or `schedule`. */
export type PipelineTrigger = { kind: 'manual' } | { kind: 'schedule'; cron: string; timezone: string; catchUp: 'none' | 'once' };

const trigger = strictConfigObject({ manual: z.literal(true).optional(), schedule: schedule.optional() })
  .refine((t) => (t.manual === true) !== (t.schedule !== undefined), {
    error: 'must be either { manual: true } or { schedule: { cron, timezone, catchUp } }',
  })
  .transform((t): PipelineTrigger => (t.schedule ? { kind: 'schedule', ...t.schedule } : { kind: 'manual' }));

export const pipelineSchema = strictConfigObject({
  /** Must equal the file's base name; tickets, URLs and the CLI refer to the pipeline by it. */
  name: configName,
  description: z.string().optional(),
  source,
  destination,
  /** The policy file (`policies/<name>.yaml`) that decides each item's verdict. */
  policy: configName,
  /** `all-or-nothing`: one blocked item holds the whole ticket. `per-item`: allowed items go, others stay. */
  delivery: z.enum(['all-or-nothing', 'per-item']).default('all-or-nothing') satisfies z.ZodType<DeliveryMode>,
  /** People who may approve `review` verdicts for this pipeline: users by name, or groups of users. */
  approvers: z.array(approver).default([]),
  /** Whether the requester must also confirm a reviewed transfer (besides the approvers' quorum). */
  requesterConfirms: z.boolean().default(true),
  /** Hours a review may stay open before the ticket expires (fail closed), and between reminders. */
  review: strictConfigObject({
    expiresAfterHours: z
      .number()
      .positive()
      .max(24 * 90)
      .default(72),
    remindEveryHours: z
      .number()
      .positive()
      .max(24 * 30)
      .default(24),
    /** Reminders before the request also goes to the backup group. */
    escalateAfterReminders: z.int().min(0).max(20).default(2),
    /** Approver group asked once the named approvers have not answered in time. */
    backupGroup: z.string().min(1).optional(),
  }).default({ expiresAfterHours: 72, remindEveryHours: 24, escalateAfterReminders: 2 }),
  /** Checks run on every item, in order. At least one: an uninspected item must not reach a catch-all `allow`. */
  checks: z
    .array(checkId)
    .min(1, { error: 'must list at least one check; items that are not inspected cannot be judged' })
    .refine((ids) => new Set(ids).size === ids.length, { error: 'lists a check more than once' })
    .default(['filetype', 'patterns', 'dlp']),
  /** Service levels: the ticket should be finished (delivered, blocked, decided) this many hours after submission. */
  sla: strictConfigObject({
    resolutionHours: z
      .number()
      .positive()
      .max(24 * 365)
      .default(72),
  }).default({ resolutionHours: 72 }),
  trigger,
  /** Keep item names out of notifications and logs, for transfers where the names themselves are sensitive. */
  redactNames: z.boolean().default(false),
  /**
   * Keep blocked items (encrypted, in staging) for `days` instead of purging them, so two operators together can
   * release one to `releaseTo` (a destination, checked like `destination`). Absent: blocked data is purged.
   */
  quarantine: strictConfigObject({
    days: z.int().min(1).max(365),
    releaseTo: destination,
  }).optional(),
})
  // The selector keys are written under `source` (they read naturally there) but are not connector settings.
  .transform(({ source, ...pipeline }) => ({ ...pipeline, source: source.settings, selector: source.selector }));

export type Pipeline = z.output<typeof pipelineSchema>;

function isObjectPayload(payload: { value: unknown }): boolean {
  return typeof payload.value === 'object' && payload.value !== null;
}

/** Flags credential-looking settings (at any depth) whose value is not a secret reference. */
function refuseInlineSecrets(value: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const visit = (node: unknown, at: (string | number)[]): void => {
    if (Array.isArray(node)) return node.forEach((child, i) => visit(child, [...at, i]));
    if (typeof node !== 'object' || node === null) return;
    for (const [key, child] of Object.entries(node)) {
      if (SENSITIVE_KEY.test(key) && (typeof child === 'string' || typeof child === 'number') && !isSecretRef(child)) {
        ctx.addIssue({ code: 'custom', path: [...at, key], message: INLINE_SECRET_MESSAGE });
      } else {
        visit(child, [...at, key]);
      }
    }
  };
  visit(value, []);
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Allowed values per cron field (minute, hour, day of month, month, day of week; 7 is also Sunday). */
const CRON_FIELDS = [
  { label: 'minute', min: 0, max: 59 },
  { label: 'hour', min: 0, max: 23 },
  { label: 'day of month', min: 1, max: 31 },
  { label: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { label: 'day of week', min: 0, max: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
] as const;

/**
 * Validates a 5-field cron expression (`*`, numbers, names, ranges `a-b`, steps `/n`, lists `a,b`).
 * Returns what is wrong, or undefined. Catching a typo here beats a schedule that silently never fires.
 */
export function cronProblem(cron: string): string | undefined {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) return `must have 5 fields (minute hour day-of-month month day-of-week), found ${fields.length}`;
  for (const [i, field] of fields.entries()) {
    const spec = CRON_FIELDS[i]!;
    const names: readonly string[] = 'names' in spec ? spec.names : [];
    const toNumber = (part: string): number => {
      const byName = names.indexOf(part.toLowerCase());
      if (byName >= 0) return byName + (spec.min === 1 ? 1 : 0);
      return /^\d+$/.test(part) ? Number(part) : NaN;
    };
    for (const item of field.split(',')) {
      const match = /^(\*|[^-/]+(?:-[^-/]+)?)(?:\/(\d+))?$/.exec(item);
      const bounds = match?.[1] === '*' ? [] : (match?.[1]?.split('-') ?? ['']);
      const inRange = bounds.map(toNumber).every((n) => n >= spec.min && n <= spec.max);
      if (!match || !inRange || match[2] === '0') return `has an invalid ${spec.label} field "${field}" (allowed ${spec.min}-${spec.max})`;
    }
  }
  return undefined;
}
