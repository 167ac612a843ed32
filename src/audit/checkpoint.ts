import { mkdir, open, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../db/database.js';
import { AirlockError } from '../errors.js';
import { appendAudit, GENESIS_HASH, lockAuditAppends, type AuditRecord } from './audit-log.js';
import type { AuditCheckpoint } from './verify-chain.js';

/** The kind of the record a checkpoint appends; its details are `{ headSeq, headHash }`, the head before it. */
export const CHECKPOINT_KIND = 'audit.checkpoint';

/** How often `checkpointIfDue` writes one unless told otherwise. */
export const DEFAULT_CHECKPOINT_EVERY_MS = 24 * 60 * 60_000;

/** One line of a checkpoint file: a checkpoint record's seq, hash and time. */
export interface CheckpointLine extends AuditCheckpoint {
  at: string;
}

/**
 * Appends an `audit.checkpoint` record naming the head before it, then (with `file`) the new record's seq
 * and hash as one JSON line to `file` (0600, created if missing, synced to disk). The file lives outside the
 * database: verifying against it shows records cut off the head of the log, which the chain alone cannot.
 * The record is written first, so the file never names a record that was not committed.
 */
export async function writeCheckpoint(db: Db, options: { file?: string | undefined; actor: string; now?: Date }): Promise<AuditRecord> {
  const record = await db.transaction().execute(async (trx) => {
    await lockAuditAppends(trx);
    return appendCheckpoint(trx, options.actor, options.now ?? new Date());
  });
  if (options.file !== undefined) await appendCheckpointLine(options.file, record);
  return record;
}

/**
 * Writes a checkpoint when the last one is `everyMs` old or older, or there is none; returns it, or
 * undefined when none was due. Safe from several processes at once: "is one due" is decided under the
 * lock that serialises appends, in the transaction that appends it, so a second caller waits and then sees
 * the first one's checkpoint. (Each process appends to its own `file`; the record is in the log once.)
 */
export async function checkpointIfDue(
  db: Db,
  options: { file?: string | undefined; actor: string; now?: Date; everyMs?: number },
): Promise<AuditRecord | undefined> {
  const now = options.now ?? new Date();
  const everyMs = options.everyMs ?? DEFAULT_CHECKPOINT_EVERY_MS;
  const record = await db.transaction().execute(async (trx) => {
    await lockAuditAppends(trx);
    // Walks back from the head by primary key: with daily checkpoints, about a day of records.
    const last = await trx
      .selectFrom('audit_log')
      .select('at')
      .where('kind', '=', CHECKPOINT_KIND)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (last && now.getTime() - last.at.getTime() < everyMs) return undefined;
    return appendCheckpoint(trx, options.actor, now);
  });
  if (record && options.file !== undefined) await appendCheckpointLine(options.file, record);
  return record;
}

/** Appends the checkpoint record; `trx` holds the append lock, so the head read here is the one it chains to. */
async function appendCheckpoint(trx: Db, actor: string, at: Date): Promise<AuditRecord> {
  // Seals what is pending first, so the checkpoint names the true head of everything recorded before it.
  const head = await trx
    .selectFrom('audit_log')
    .select(['seq', 'hash'])
    .where('seq', 'is not', null)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  return appendAudit(trx, { kind: CHECKPOINT_KIND, actor, details: { headSeq: head?.seq ?? 0, headHash: head?.hash ?? GENESIS_HASH } }, at);
}

/** Appends `{"seq":…,"hash":…,"at":…}` for `record` to `file`, creating it (0600) and its folder (0700). */
export async function appendCheckpointLine(file: string, record: Pick<AuditRecord, 'seq' | 'hash' | 'at'>): Promise<void> {
  const line: CheckpointLine = { seq: record.seq, hash: record.hash, at: record.at.toISOString() };
  try {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const handle = await open(file, 'a', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(line)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new AirlockError(
      'internal_error',
      `Checkpoint record ${record.seq} was written to the audit log, but not to the checkpoint file ${file} (${code}).`,
      { cause: error },
    );
  }
}

/** The checkpoints in `file`, in file order. A line that is not one fails, naming `file:line`. */
export async function readCheckpoints(file: string): Promise<CheckpointLine[]> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new AirlockError('invalid_input', `Checkpoint file ${file} cannot be read (${error.code ?? 'error'}).`, { cause: error });
  });
  const checkpoints: CheckpointLine[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const where = `${file}:${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new AirlockError('invalid_input', `${where}: not a JSON line.`);
    }
    const { seq, hash, at } = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1)
      throw new AirlockError('invalid_input', `${where}: "seq" must be a whole number from 1.`);
    if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash))
      throw new AirlockError('invalid_input', `${where}: "hash" must be 64 lowercase hex digits.`);
    if (typeof at !== 'string' || Number.isNaN(Date.parse(at)))
      throw new AirlockError('invalid_input', `${where}: "at" must be an ISO 8601 time.`);
    checkpoints.push({ seq, hash, at });
  }
  return checkpoints;
}
