import type { Db } from '../db/database.js';
import { GENESIS_HASH, readAudit, recordHash, recordMac, type AuditRecord } from './audit-log.js';

/** A head of the log seen earlier and kept outside the database (a checkpoint file, the SIEM's copy). */
export interface AuditCheckpoint {
  seq: number;
  hash: string;
}

export type VerifyResult =
  /** `records` intact records; `head` the last of them (seq 0 and the genesis hash for an empty log). */
  | { ok: true; records: number; head: { seq: number; hash: string } }
  /** `records` intact records before `firstBroken`, the first record (in seq order) found tampered with. */
  | { ok: false; records: number; firstBroken: { seq: number; problem: string } };

export interface VerifyOptions {
  /** Heads seen before; the log must still hold each of them, with the same hash. */
  checkpoints?: readonly AuditCheckpoint[];
  /** Records read at a time (tests make it small to cross batch boundaries). */
  batchSize?: number;
}

const DEFAULT_BATCH_SIZE = 1000;

/**
 * Reads the whole log in seq order, `batchSize` records at a time, and recomputes the chain with `key` (the
 * audit key, which never lives in the database). Stops at the first broken record and names why. Each
 * record is checked in this order, so that each kind of tampering is named by its cause:
 *
 * 1. `seq` is the one expected (1, then contiguous): a gap is a deleted record. A deleted record also
 *    breaks the next one's `prev_hash`, so this check comes first.
 * 2. `prev_hash` is the previous record's hash: otherwise the record was moved here from elsewhere
 *    (reordered) or replaced. A moved record's own hash is computed over its old seq, so it would fail 3
 *    too; checking the link first names the move rather than calling it a modification.
 * 3. `hash` is recomputed from the stored fields: otherwise the record was modified in place (the link
 *    into it still holds, the content does not).
 * 4. `mac` is the HMAC of the hash with the key: otherwise the record was re-hashed or written by someone
 *    without the key (a modified record with a recomputed hash, or a forged one).
 *
 * Then the checkpoints: a record at a checkpoint's seq must carry the checkpoint's hash (else it was
 * modified, with the chain rebuilt after it), and the log must reach the latest checkpoint (else its head
 * was cut off, which the chain alone cannot show: a shorter chain is still a valid chain).
 */
export async function verifyAuditChain(db: Db, key: Buffer, options: VerifyOptions = {}): Promise<VerifyResult> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const seen = new Map<number, string[]>();
  let latest: AuditCheckpoint | undefined;
  for (const checkpoint of options.checkpoints ?? []) {
    seen.set(checkpoint.seq, [...(seen.get(checkpoint.seq) ?? []), checkpoint.hash]);
    if (!latest || checkpoint.seq > latest.seq) latest = checkpoint;
  }

  let records = 0;
  let prev = { seq: 0, hash: GENESIS_HASH };
  const broken = (seq: number, problem: string): VerifyResult => ({ ok: false, records, firstBroken: { seq, problem } });
  for (;;) {
    const batch = await readAudit(db, { afterSeq: prev.seq, limit: batchSize });
    for (const record of batch) {
      const problem = await chainProblem(db, key, record, prev);
      if (problem !== undefined) return broken(prev.seq + 1, problem);
      const other = seen.get(record.seq)?.find((hash) => hash !== record.hash);
      if (other !== undefined) {
        return broken(record.seq, `record ${record.seq} was modified: a checkpoint saw hash ${other}, the log holds ${record.hash}`);
      }
      records += 1;
      prev = { seq: record.seq, hash: record.hash };
    }
    if (batch.length < batchSize) break;
  }
  if (latest && latest.seq > prev.seq) {
    const end = prev.seq === 0 ? 'the log is empty' : `the log ends at record ${prev.seq}`;
    return broken(prev.seq + 1, `${end} but a checkpoint saw record ${latest.seq} (hash ${latest.hash}): truncated at the head`);
  }
  return { ok: true, records, head: prev };
}

/** Why `record` cannot follow `prev` in an intact log, or undefined. */
async function chainProblem(db: Db, key: Buffer, record: AuditRecord, prev: { seq: number; hash: string }): Promise<string | undefined> {
  const seq = prev.seq + 1;
  if (record.seq !== seq) return `record ${seq} is missing (deleted)`;
  if (record.prevHash !== prev.hash) {
    const after = seq === 1 ? 'the start of the log' : `record ${prev.seq}`;
    // Where it was chained to instead, when that record is still in the log: the trace of a reorder.
    const origin = await db.selectFrom('audit_log').select('seq').where('hash', '=', record.prevHash).executeTakeFirst();
    const hint = origin ? `; it follows record ${origin.seq}` : '';
    return `record ${seq} does not follow ${after} (reordered or replaced)${hint}`;
  }
  if (recordHash(record) !== record.hash) return `record ${seq} was modified`;
  if (recordMac(key, record.hash) !== record.mac) return `record ${seq} is not signed with this key (forged or re-hashed)`;
  return undefined;
}
