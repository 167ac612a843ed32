import { AirlockError } from '../errors.js';
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
 * Records an event, unsealed, in the caller's transaction when `db` is one: the record and the change it
 * records commit together, or neither does. Takes no lock, so busy writers never wait on each other; the
 * record joins the chain at the next `sealAudit` (every second in `serve` and `worker`).
 */
export async function recordAudit(db: Db, event: AuditEvent, at: Date = new Date()): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      at,
      kind: event.kind,
      actor: event.actor,
      ticket_id: event.ticketId ?? null,
      details: JSON.stringify(event.details ?? {}),
    })
    .execute();
}

/**
 * Records an event and seals it at once (with everything recorded before it), returning the sealed record.
 * For the few records whose seq and hash the caller needs now (checkpoints); it waits for the seal lock.
 */
export async function appendAudit(db: Db, event: AuditEvent, at: Date = new Date()): Promise<AuditRecord> {
  const key = await auditKey();
  return inTransaction(db, async (trx) => {
    await lockAuditAppends(trx);
    const inserted = await trx
      .insertInto('audit_log')
      .values({ at, kind: event.kind, actor: event.actor, ticket_id: event.ticketId ?? null, details: JSON.stringify(event.details ?? {}) })
      .returning('id')
      .executeTakeFirstOrThrow();
    const sealed = await sealLocked(trx, key, Number.MAX_SAFE_INTEGER);
    const record = sealed.find((r) => r.id === Number(inserted.id));
    if (!record) throw new Error('The audit record just written was not sealed.');
    return record.record;
  });
}

/**
 * Seals unsealed records in the order they were written: each gets the next `seq`, the previous record's
 * hash, its own hash and the MAC. One process seals at a time (a transaction-scoped advisory lock); with
 * `wait: false` a process that finds another sealing skips this round. Returns how many were sealed.
 */
export async function sealAudit(db: Db, options: { limit?: number; wait?: boolean } = {}): Promise<number> {
  const key = await auditKey();
  return inTransaction(db, async (trx) => {
    if (options.wait === false) {
      const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${AUDIT_APPEND_LOCK}) as locked`.execute(trx);
      if (!rows[0]?.locked) return 0;
    } else {
      await lockAuditAppends(trx);
    }
    return (await sealLocked(trx, key, options.limit ?? 5000)).length;
  });
}

/** Seals up to `limit` unsealed records; the caller holds the seal lock in `trx`. */
async function sealLocked(trx: Db, key: Buffer, limit: number): Promise<{ id: number; record: AuditRecord }[]> {
  const head = await trx
    .selectFrom('audit_log')
    .select(['seq', 'hash'])
    .where('seq', 'is not', null)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  const pending = await trx
    .selectFrom('audit_log')
    .select(['id', 'at', 'kind', 'actor', 'ticket_id', 'details'])
    .where('seq', 'is', null)
    .orderBy('id')
    .limit(limit)
    .execute();
  let seq = Number(head?.seq ?? 0);
  let prevHash = head?.hash ?? GENESIS_HASH;
  const sealed: { id: number; record: AuditRecord }[] = [];
  for (const row of pending) {
    const body = { seq: ++seq, at: row.at, kind: row.kind, actor: row.actor, ticketId: row.ticket_id, details: row.details, prevHash };
    const hash = recordHash(body);
    sealed.push({ id: Number(row.id), record: { ...body, hash, mac: recordMac(key, hash) } });
    prevHash = hash;
  }
  // One statement per batch rather than per record: under load the sealer keeps up with far fewer round trips.
  for (let start = 0; start < sealed.length; start += SEAL_BATCH) {
    const batch = sealed.slice(start, start + SEAL_BATCH);
    const rows = sql.join(batch.map(({ id, record: r }) => sql`(${id}::bigint, ${r.seq}::bigint, ${r.prevHash}, ${r.hash}, ${r.mac})`));
    const result = await sql`update audit_log a set seq = v.seq, prev_hash = v.prev_hash, hash = v.hash, mac = v.mac
      from (values ${rows}) as v (id, seq, prev_hash, hash, mac)
      where a.id = v.id and a.seq is null`.execute(trx);
    // The seal lock makes this exact; anything else means someone sealed around the lock, and nothing is kept.
    if (Number(result.numAffectedRows ?? -1) !== batch.length) {
      throw new AirlockError(
        'internal_error',
        `Sealing the audit log updated ${String(result.numAffectedRows)} of ${batch.length} records.`,
      );
    }
  }
  return sealed;
}

/** Records sealed per statement. */
const SEAL_BATCH = 500;

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

/** Takes the seal lock for the rest of `trx`: whoever holds it decides the next `seq`. */
export async function lockAuditAppends(trx: Db): Promise<void> {
  await sql`select pg_advisory_xact_lock(${AUDIT_APPEND_LOCK})`.execute(trx);
}

/** Reads sealed records in seq order from `afterSeq` on, `limit` at a time. */
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
    // Sealed records (seq > 0) carry all three; the table's check constraint says so.
    prevHash: r.prev_hash!,
    hash: r.hash!,
    mac: r.mac!,
  }));
}
