import { createHash, createHmac } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { inTransaction } from '../db/in-transaction.js';
import { auditKey } from './audit-key.js';

/** The `prev_hash` of the first record. */
export const GENESIS_HASH = '0'.repeat(64);

/** Serialises appends across every process on the database (held until the appending transaction commits). */
const AUDIT_APPEND_LOCK = 0x41554454; // "AUDT"

/**
 * What happened, by whom, to which ticket. `details` holds identifiers, states, counts, hashes and reasons:
 * never transferred content, never a full sensitive value (findings appear as detector names and counts).
 */
export interface AuditEvent {
  /** Dotted, stable: `ticket.transition`, `approval.decided`, `auth.failed`, `policy.loaded`, … */
  kind: string;
  /** A user name, `system`, `worker:<host>:<pid>`, `cli:<user>`, or `anonymous`. */
  actor: string;
  ticketId?: string | null | undefined;
  details?: Record<string, unknown> | undefined;
}

export interface AuditRecord {
  seq: number;
  at: Date;
  kind: string;
  actor: string;
  ticketId: string | null;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
  mac: string;
}

/**
 * Appends one record, chained to the last, in the caller's transaction when `db` is one (so the record and
 * the change it records commit together, or neither does). Appends from every process are serialised by an
 * advisory lock held until commit, so `seq` order is chain order and there are no gaps.
 */
export async function appendAudit(db: Db, event: AuditEvent, at: Date = new Date()): Promise<AuditRecord> {
  const key = await auditKey();
  return inTransaction(db, async (trx) => {
    await lockAuditAppends(trx);
    const last = await trx.selectFrom('audit_log').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    const body = {
      seq: (last?.seq ?? 0) + 1,
      at,
      kind: event.kind,
      actor: event.actor,
      ticketId: event.ticketId ?? null,
      details: event.details ?? {},
      prevHash: last?.hash ?? GENESIS_HASH,
    };
    const hash = recordHash(body);
    const record: AuditRecord = { ...body, hash, mac: recordMac(key, hash) };
    await trx
      .insertInto('audit_log')
      .values({
        seq: record.seq,
        at: record.at,
        kind: record.kind,
        actor: record.actor,
        ticket_id: record.ticketId,
        details: JSON.stringify(record.details),
        prev_hash: record.prevHash,
        hash: record.hash,
        mac: record.mac,
      })
      .execute();
    return record;
  });
}

/**
 * Takes the lock that serialises appends, in the caller's transaction `trx` (held until it ends; taking it
 * again in the same transaction, as appendAudit does, is free). Between this and the commit no other
 * process appends, so the head read after it is the head the next append in `trx` chains to.
 */
export async function lockAuditAppends(trx: Db): Promise<void> {
  if (!trx.isTransaction) throw new Error('lockAuditAppends needs a transaction: the lock is held until it ends.');
  await sql`select pg_advisory_xact_lock(${AUDIT_APPEND_LOCK})`.execute(trx);
}

/** SHA-256 over every field but the hash and the MAC, in a canonical form (keys sorted at every depth). */
export function recordHash(record: Omit<AuditRecord, 'hash' | 'mac'>): string {
  const canonical = canonicalJson([
    record.seq,
    record.at.toISOString(),
    record.kind,
    record.actor,
    record.ticketId,
    record.details,
    record.prevHash,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

export function recordMac(key: Buffer, hash: string): string {
  return createHmac('sha256', key).update(hash).digest('hex');
}

/** JSON with object keys sorted at every depth: what jsonb hands back is re-serialised identically. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** Reads records in seq order from `afterSeq` on, `limit` at a time. */
export async function readAudit(
  db: Db,
  options: { afterSeq?: number; limit?: number; since?: Date; until?: Date } = {},
): Promise<AuditRecord[]> {
  let query = db
    .selectFrom('audit_log')
    .selectAll()
    .where('seq', '>', options.afterSeq ?? 0)
    .orderBy('seq')
    .limit(options.limit ?? 1000);
  if (options.since) query = query.where('at', '>=', options.since);
  if (options.until) query = query.where('at', '<', options.until);
  const rows = await query.execute();
  return rows.map((r) => ({
    seq: Number(r.seq),
    at: r.at,
    kind: r.kind,
    actor: r.actor,
    ticketId: r.ticket_id,
    details: r.details,
    prevHash: r.prev_hash,
    hash: r.hash,
    mac: r.mac,
  }));
}
