// The audit chain against each kind of tampering a database superuser can do (one who can switch off the
// append-only triggers): every case must be caught and named by its cause, at the right record.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TEST_AUDIT_KEY } from '../../test/audit-key-setup.js';
import { backendName, createTestStore, type TestStore } from '../../test/test-store.js';
import type { Db } from '../db/database.js';
import { appendAudit, readAudit, recordHash, type AuditRecord } from './audit-log.js';
import { readCheckpoints, writeCheckpoint } from './checkpoint.js';
import { verifyAuditChain } from './verify-chain.js';

let store: TestStore;
let dir: string;
let records: AuditRecord[];

/** Runs `fn` as a superuser who has switched the triggers off, for this transaction only. */
async function tamper(fn: (trx: Db) => Promise<unknown>): Promise<void> {
  await store.db.transaction().execute(async (trx) => {
    await sql`set local session_replication_role = replica`.execute(trx);
    await fn(trx);
  });
}

async function appendRecords(n: number): Promise<AuditRecord[]> {
  const appended: AuditRecord[] = [];
  for (let i = 0; i < n; i += 1) {
    appended.push(
      await appendAudit(store.db, {
        kind: i % 5 === 0 ? 'ticket.created' : 'ticket.transition',
        actor: i % 2 ? 'alice' : 'system',
        ticketId: null,
        details: { step: i, to: `state-${i}`, nested: { b: 1, a: [i, 'x'] } },
      }),
    );
  }
  return appended;
}

const verify = (options?: Parameters<typeof verifyAuditChain>[2]) => verifyAuditChain(store.db, TEST_AUDIT_KEY, options);

describe(`verifyAuditChain (${backendName} store)`, () => {
  beforeAll(async () => {
    store = await createTestStore();
    dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-audit-'));
  });
  afterAll(async () => {
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await tamper((trx) => trx.deleteFrom('audit_log').execute());
    records = await appendRecords(20);
  });

  it('finds 20 appended records intact and names the head', async () => {
    expect(await verify()).toEqual({ ok: true, records: 20, head: { seq: 20, hash: records[19]!.hash } });
    // Across batch boundaries too.
    expect(await verify({ batchSize: 7 })).toEqual({ ok: true, records: 20, head: { seq: 20, hash: records[19]!.hash } });
  });

  it('finds an empty log intact', async () => {
    await tamper((trx) => trx.deleteFrom('audit_log').execute());
    expect(await verify()).toEqual({ ok: true, records: 0, head: { seq: 0, hash: '0'.repeat(64) } });
  });

  it('refuses UPDATE, DELETE and TRUNCATE from a normal session', async () => {
    await expect(sql`update audit_log set actor = 'mallory' where seq = 3`.execute(store.db)).rejects.toThrow(
      'audit_log is append-only: UPDATE refused',
    );
    await expect(store.db.deleteFrom('audit_log').where('seq', '=', 3).execute()).rejects.toThrow(
      'audit_log is append-only: DELETE refused',
    );
    await expect(sql`truncate audit_log`.execute(store.db)).rejects.toThrow('audit_log is append-only: TRUNCATE refused');
    expect((await verify()).ok).toBe(true);
  });

  it('names a record whose details were changed: "modified"', async () => {
    await tamper((trx) => sql`update audit_log set details = '{"step": 6, "to": "approved"}' where seq = 7`.execute(trx));
    expect(await verify()).toEqual({ ok: false, records: 6, firstBroken: { seq: 7, problem: 'record 7 was modified' } });
  });

  it('names a deleted record in the middle: "missing"', async () => {
    await tamper((trx) => trx.deleteFrom('audit_log').where('seq', '=', 10).execute());
    expect(await verify()).toEqual({ ok: false, records: 9, firstBroken: { seq: 10, problem: 'record 10 is missing (deleted)' } });
    // Also when the gap falls on a batch boundary.
    expect(await verify({ batchSize: 9 })).toMatchObject({ firstBroken: { seq: 10, problem: 'record 10 is missing (deleted)' } });
  });

  it('names a deleted first record: "missing"', async () => {
    await tamper((trx) => trx.deleteFrom('audit_log').where('seq', '=', 1).execute());
    expect(await verify()).toEqual({ ok: false, records: 0, firstBroken: { seq: 1, problem: 'record 1 is missing (deleted)' } });
  });

  it('names two records swapped in order: "does not follow", and where the moved one belongs', async () => {
    await tamper(async (trx) => {
      await sql`update audit_log set seq = 1000000 where seq = 5`.execute(trx);
      await sql`update audit_log set seq = 5 where seq = 12`.execute(trx);
      await sql`update audit_log set seq = 12 where seq = 1000000`.execute(trx);
    });
    expect(await verify()).toEqual({
      ok: false,
      records: 4,
      firstBroken: { seq: 5, problem: 'record 5 does not follow record 4 (reordered or replaced); it follows record 11' },
    });
  });

  it('names two neighbours swapped: "does not follow"', async () => {
    await tamper(async (trx) => {
      await sql`update audit_log set seq = 1000000 where seq = 8`.execute(trx);
      await sql`update audit_log set seq = 8 where seq = 9`.execute(trx);
      await sql`update audit_log set seq = 9 where seq = 1000000`.execute(trx);
    });
    expect(await verify()).toMatchObject({
      ok: false,
      records: 7,
      firstBroken: { seq: 8, problem: expect.stringMatching(/^record 8 does not follow record 7 \(reordered or replaced\)/) },
    });
  });

  it('names a record whose hash was recomputed without the key: "not signed"', async () => {
    const original = records[6]!;
    const forged = { ...original, details: { ...original.details, to: 'approved' } };
    const hash = recordHash(forged);
    await tamper((trx) =>
      sql`update audit_log set details = ${JSON.stringify(forged.details)}::jsonb, hash = ${hash} where seq = 7`.execute(trx),
    );
    expect(await verify()).toEqual({
      ok: false,
      records: 6,
      firstBroken: { seq: 7, problem: 'record 7 is not signed with this key (forged or re-hashed)' },
    });
  });

  it('says a log signed with another key is not signed with this one', async () => {
    expect(await verifyAuditChain(store.db, Buffer.alloc(32, 9))).toEqual({
      ok: false,
      records: 0,
      firstBroken: { seq: 1, problem: 'record 1 is not signed with this key (forged or re-hashed)' },
    });
  });

  it('cannot see the last records deleted without a checkpoint, and names it with one: "truncated at the head"', async () => {
    const file = path.join(dir, `checkpoints-${Date.now()}.jsonl`);
    const checkpoint = await writeCheckpoint(store.db, { file, actor: 'system' });
    expect(checkpoint.seq).toBe(21);
    await tamper((trx) => trx.deleteFrom('audit_log').where('seq', '>', 18).execute());

    // The chain alone: a shorter chain is still a valid chain.
    expect(await verify()).toEqual({ ok: true, records: 18, head: { seq: 18, hash: records[17]!.hash } });
    expect(await verify({ checkpoints: await readCheckpoints(file) })).toEqual({
      ok: false,
      records: 18,
      firstBroken: {
        seq: 19,
        problem: `the log ends at record 18 but a checkpoint saw record 21 (hash ${checkpoint.hash}): truncated at the head`,
      },
    });
  });

  it('names a record that differs from a checkpoint of it: "modified"', async () => {
    const checkpoints = [
      { seq: 3, hash: records[2]!.hash },
      { seq: 5, hash: 'f'.repeat(64) },
    ];
    expect(await verify({ checkpoints })).toEqual({
      ok: false,
      records: 4,
      firstBroken: { seq: 5, problem: `record 5 was modified: a checkpoint saw hash ${'f'.repeat(64)}, the log holds ${records[4]!.hash}` },
    });
    expect(await verify({ checkpoints: checkpoints.slice(0, 1) })).toMatchObject({ ok: true, records: 20 });
  });

  it('reads back exactly what was appended', async () => {
    expect(await readAudit(store.db, { limit: 100 })).toEqual(records);
  });
});
