import { parseAuditDate } from '../../audit/audit-date.js';
import { once } from 'node:events';
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { auditKey } from '../../audit/audit-key.js';
import { readAudit, sealAudit } from '../../audit/audit-log.js';
import { readCheckpoints, writeCheckpoint, type CheckpointLine } from '../../audit/checkpoint.js';
import { toCef, toJsonLine } from '../../audit/export-format.js';
import { verifyAuditChain } from '../../audit/verify-chain.js';
import { openStore, storeConfigFrom } from '../../db/database.js';
import { UsageError, type CliContext } from '../cli-context.js';
import { AIRLOCK_VERSION } from '../version.js';

const EXPORT_FORMATS = ['jsonl', 'cef'] as const;
type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The options each `airlock audit` subcommand takes. */
const SUBCOMMAND_OPTIONS: Record<string, readonly string[]> = {
  verify: ['checkpoints', 'json'],
  export: ['since', 'until', 'format'],
  checkpoint: [],
};
const GLOBAL_OPTIONS = new Set(['verbose', 'help']);

/** `airlock audit verify|export|checkpoint`: dispatches, refusing options that belong to another subcommand. */
export async function auditCommand(ctx: CliContext, sub: string, values: Record<string, unknown>): Promise<number> {
  const allowed = SUBCOMMAND_OPTIONS[sub];
  if (!allowed) {
    throw new UsageError(
      `Unknown "airlock audit ${sub}"; use "airlock audit verify [--checkpoints FILE] [--json]", ` +
        '"airlock audit export --format jsonl|cef [--since DATE] [--until DATE]" or "airlock audit checkpoint".',
    );
  }
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined && !GLOBAL_OPTIONS.has(name) && !allowed.includes(name))
      throw new UsageError(`--${name} is not an option of "airlock audit ${sub}".`);
  }
  if (sub === 'verify')
    return auditVerifyCommand(ctx, { checkpoints: values.checkpoints as string | undefined, json: Boolean(values.json) });
  if (sub === 'export')
    return auditExportCommand(ctx, {
      since: values.since as string | undefined,
      until: values.until as string | undefined,
      format: values.format as string | undefined,
    });
  return auditCheckpointCommand(ctx);
}

/**
 * `airlock audit verify [--checkpoints FILE] [--json]`: recomputes the chain and the signatures; exit 0
 * when intact, 1 naming the first broken record. Without --checkpoints, AIRLOCK_AUDIT_CHECKPOINT_FILE is
 * used when it exists (a missing file named with --checkpoints is an error).
 */
export async function auditVerifyCommand(ctx: CliContext, options: { checkpoints: string | undefined; json: boolean }): Promise<number> {
  let file: string | undefined;
  if (options.checkpoints !== undefined) file = path.resolve(options.checkpoints);
  else if (await exists(ctx.config.auditCheckpointFile)) file = ctx.config.auditCheckpointFile;
  const checkpoints: CheckpointLine[] = file === undefined ? [] : await readCheckpoints(file);
  const key = await auditKey();
  const store = await openStore(storeConfigFrom(ctx.config));
  try {
    // Records written since the last seal (by a command-line run, say) join the chain first.
    await sealAudit(store.db);
    const result = await verifyAuditChain(store.db, key, { checkpoints });
    const latest = checkpoints.reduce<CheckpointLine | undefined>((a, c) => (a && a.seq >= c.seq ? a : c), undefined);
    if (options.json) {
      ctx.stdout.write(
        JSON.stringify({ ...result, checkpoints: { file: file ?? null, count: checkpoints.length, latest: latest ?? null } }) + '\n',
      );
      return result.ok ? 0 : 1;
    }
    const against =
      file === undefined
        ? 'No checkpoint file: records cut off the head of the log would not show (see "airlock audit checkpoint").\n'
        : `Checked against ${checkpoints.length} checkpoint(s) in ${file}${latest ? ` (latest: record ${latest.seq} at ${latest.at})` : ''}.\n`;
    if (result.ok) {
      const head = result.records === 0 ? 'the log is empty' : `head: record ${result.head.seq}, hash ${result.head.hash}`;
      ctx.stdout.write(`Audit log intact: ${result.records} record(s); ${head}.\n${against}`);
      return 0;
    }
    ctx.stdout.write(
      `Audit log BROKEN at record ${result.firstBroken.seq}: ${result.firstBroken.problem}.\n` +
        `The ${result.records} record(s) before it are intact.\n${against}`,
    );
    return 1;
  } finally {
    await store.close();
  }
}

/**
 * `airlock audit export --format jsonl|cef [--since DATE] [--until DATE]`: records in seq order on stdout,
 * one per line, read 1000 at a time. `--since` is inclusive, `--until` exclusive.
 */
export async function auditExportCommand(
  ctx: CliContext,
  options: { since: string | undefined; until: string | undefined; format: string | undefined },
): Promise<number> {
  if (options.format === undefined) throw new UsageError('--format is required: jsonl or cef.');
  if (!EXPORT_FORMATS.includes(options.format as ExportFormat))
    throw new UsageError(`--format must be jsonl or cef; got "${options.format}".`);
  const format = options.format as ExportFormat;
  const since = options.since === undefined ? undefined : parseDateOption('--since', options.since);
  const until = options.until === undefined ? undefined : parseDateOption('--until', options.until);
  if (since && until && since >= until) throw new UsageError('--since must be before --until.');
  const store = await openStore(storeConfigFrom(ctx.config));
  try {
    await sealAudit(store.db);
    let afterSeq = 0;
    for (;;) {
      const batch = await readAudit(store.db, { afterSeq, limit: 1000, ...(since ? { since } : {}), ...(until ? { until } : {}) });
      if (batch.length === 0) return 0;
      const text = batch.map((r) => (format === 'cef' ? toCef(r, AIRLOCK_VERSION) : toJsonLine(r)) + '\n').join('');
      if (!ctx.stdout.write(text)) await once(ctx.stdout, 'drain');
      afterSeq = batch.at(-1)!.seq;
    }
  } finally {
    await store.close();
  }
}

/** `airlock audit checkpoint`: appends a checkpoint record now and its line to AIRLOCK_AUDIT_CHECKPOINT_FILE. */
export async function auditCheckpointCommand(ctx: CliContext): Promise<number> {
  const store = await openStore(storeConfigFrom(ctx.config));
  try {
    const record = await writeCheckpoint(store.db, { file: ctx.config.auditCheckpointFile, actor: `cli:${userName(ctx.env)}` });
    ctx.stdout.write(`Checkpoint: record ${record.seq}, hash ${record.hash} (appended to ${ctx.config.auditCheckpointFile}).\n`);
    return 0;
  } finally {
    await store.close();
  }
}

/**
 * `2024-05-01` (midnight UTC) or an ISO 8601 date-time (`2024-05-01T12:00:00Z`, `…+02:00`; without an
 * offset it is UTC). Anything else, including `2024-02-30`, is a usage error naming the option.
 */
export function parseDateOption(option: string, value: string): Date {
  const at = parseAuditDate(value);
  if (!at) throw new UsageError(`${option} must be an ISO 8601 date such as 2024-05-01 or 2024-05-01T12:00:00Z; got "${value}".`);
  return at;
}

async function exists(file: string): Promise<boolean> {
  // Only a missing file is skipped; one that cannot be read is reported by readCheckpoints.
  return stat(file).then(
    () => true,
    (error: NodeJS.ErrnoException) => error.code !== 'ENOENT',
  );
}

function userName(env: NodeJS.ProcessEnv): string {
  try {
    return os.userInfo().username;
  } catch {
    return env.USER ?? 'unknown';
  }
}
