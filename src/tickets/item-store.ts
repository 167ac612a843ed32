import { recordAudit } from '../audit/audit-log.js';
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/database.js';
import { inTransaction } from '../db/in-transaction.js';
import type { ItemRow, ItemsTable } from '../db/schema.js';
import type { Updateable } from 'kysely';
import type { Finding } from '../../checks/check.js';
import type { RequiredApprovals } from '../policy/evaluate-policy.js';
import type { Verdict } from './states.js';

/** What a check run left on an item: its findings and how it ended. */
export interface CheckRunRecord {
  check: string;
  version: string;
  status: 'ok' | 'error' | 'timeout';
  durationMs: number;
  error?: string;
  findings: readonly Finding[];
}

/**
 * Starts (or restarts, after a crash mid-fetch) a ticket's item list: earlier items of the ticket and
 * everything recorded about them are dropped, then one `pending` row per source path is written.
 */
export async function replaceItems(db: Db, ticketId: string, sourcePaths: readonly string[]): Promise<ItemRow[]> {
  return inTransaction(db, async (trx) => {
    await trx.deleteFrom('findings').where('ticket_id', '=', ticketId).execute();
    await trx.deleteFrom('items').where('ticket_id', '=', ticketId).execute();
    if (sourcePaths.length === 0) return [];
    return trx
      .insertInto('items')
      .values(
        sourcePaths.map((sourcePath, i) => ({
          id: randomUUID(),
          ticket_id: ticketId,
          seq: i + 1,
          source_path: sourcePath,
          state: 'pending' as const,
        })),
      )
      .returningAll()
      .execute();
  });
}

export async function updateItem(
  db: Db,
  itemId: string,
  patch: Omit<Updateable<ItemsTable>, 'id' | 'ticket_id' | 'updated_at'>,
): Promise<void> {
  await db
    .updateTable('items')
    .set({ ...patch, updated_at: new Date() })
    .where('id', '=', itemId)
    .execute();
}

export async function listItems(db: Db, ticketId: string): Promise<ItemRow[]> {
  return db.selectFrom('items').selectAll().where('ticket_id', '=', ticketId).orderBy('seq').execute();
}

/** Records the checks' results for an item, replacing any earlier inspection of it. */
export async function recordInspection(db: Db, item: { id: string; ticketId: string }, runs: readonly CheckRunRecord[]): Promise<void> {
  await inTransaction(db, (trx) => writeInspection(trx, item, runs));
}

/** Everything known about an item once it is staged and inspected, in one transaction. */
export interface InspectedItemRecord {
  id: string;
  ticketId: string;
  size: number;
  sha256: string;
  type: { mime: string; ext: string } | undefined;
  runs: readonly CheckRunRecord[];
  verdict: { verdict: Verdict; rule: string; reasons: readonly string[]; requiredApprovals?: RequiredApprovals };
  /** Who inspected it, for the audit trail. */
  actor: string;
}

/** Stores an item's staged facts, detected type, check runs, findings and verdict together; it is then `inspected`. */
export async function recordInspectedItem(db: Db, record: InspectedItemRecord): Promise<void> {
  await inTransaction(db, async (trx) => {
    await writeInspection(trx, record, record.runs);
    await updateItem(trx, record.id, {
      state: 'inspected',
      size: record.size,
      sha256: record.sha256,
      mime: record.type?.mime ?? null,
      detected_ext: record.type?.ext ?? null,
      verdict: record.verdict.verdict,
      rule: record.verdict.rule,
      reasons: JSON.stringify(record.verdict.reasons),
      required_approvals:
        record.verdict.verdict === 'review' && record.verdict.requiredApprovals ? JSON.stringify(record.verdict.requiredApprovals) : null,
    });
    // Detector names and counts only: excerpts, even masked, stay in `findings`.
    const detectors: Record<string, number> = {};
    for (const f of record.runs.flatMap((run) => run.findings)) detectors[f.detector] = (detectors[f.detector] ?? 0) + 1;
    await recordAudit(trx, {
      kind: 'item.verdict',
      actor: record.actor,
      ticketId: record.ticketId,
      details: {
        itemId: record.id,
        size: record.size,
        sha256: record.sha256,
        verdict: record.verdict.verdict,
        rule: record.verdict.rule,
        detectors,
        failedChecks: record.runs.filter((run) => run.status !== 'ok').map((run) => run.check),
      },
    });
  });
}

async function writeInspection(trx: Db, item: { id: string; ticketId: string }, runs: readonly CheckRunRecord[]): Promise<void> {
  await trx.deleteFrom('findings').where('item_id', '=', item.id).execute();
  await trx.deleteFrom('check_runs').where('item_id', '=', item.id).execute();
  if (runs.length > 0) {
    await trx
      .insertInto('check_runs')
      .values(
        runs.map((run) => ({
          item_id: item.id,
          check: run.check,
          version: run.version,
          status: run.status,
          duration_ms: Math.round(run.durationMs),
          error: run.error ?? null,
        })),
      )
      .execute();
  }
  const findings = runs.flatMap((run) => run.findings);
  if (findings.length > 0) {
    await trx
      .insertInto('findings')
      .values(
        findings.map((f) => ({
          ticket_id: item.ticketId,
          item_id: item.id,
          check: f.check,
          detector: f.detector,
          severity: f.severity,
          confidence: f.confidence,
          location: JSON.stringify(f.location ?? {}),
          excerpt: f.excerpt ?? null,
          value_key: f.valueKey ?? null,
          trace: f.trace ? JSON.stringify(f.trace) : null,
        })),
      )
      .execute();
  }
}

export async function setItemVerdict(
  db: Db,
  itemId: string,
  verdict: { verdict: Verdict; rule: string; reasons: readonly string[] },
): Promise<void> {
  await updateItem(db, itemId, {
    state: 'inspected',
    verdict: verdict.verdict,
    rule: verdict.rule,
    reasons: JSON.stringify(verdict.reasons),
  });
}

export async function listFindings(db: Db, ticketId: string) {
  return db.selectFrom('findings').selectAll().where('ticket_id', '=', ticketId).orderBy('id').execute();
}

export async function listCheckRuns(db: Db, itemIds: readonly string[]) {
  if (itemIds.length === 0) return [];
  return db.selectFrom('check_runs').selectAll().where('item_id', 'in', itemIds).execute();
}
