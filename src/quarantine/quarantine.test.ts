// Quarantine in the engine: blocked items of a pipeline with `quarantine:` keep their staged (encrypted) copy and
// a held row, written with the final transition; everything else of the ticket leaves staging; expiry purges;
// the staging sweep keeps what is quarantined.
import { randomUUID } from 'node:crypto';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngineHarness, tinyElf, type EngineHarness } from '../../test/engine-harness.js';
import { backendName, createTestStore, type TestStore } from '../../test/test-store.js';
import { inTransaction } from '../db/in-transaction.js';
import { sweepOrphanedStaging } from '../engine/sweep-staging.js';
import { listItems } from '../tickets/item-store.js';
import { getTicketRow } from '../tickets/ticket-store.js';
import { purgeExpiredQuarantine } from './expire.js';
import { holdBlockedItems, listQuarantine } from './quarantine-store.js';

// Expiry is a pass over the whole table: its tests get a store of their own, so other tests' rows are not due.
let store: TestStore;
let expiryStore: TestStore;
const harnesses: EngineHarness[] = [];
beforeAll(async () => {
  store = await createTestStore();
  expiryStore = await createTestStore();
});
afterAll(async () => {
  for (const h of harnesses) await h.cleanup();
  await store?.close();
  await expiryStore?.close();
});

const DAY = 24 * 3_600_000;
const silent = pino({ level: 'silent' });

async function harness(options?: Parameters<typeof createEngineHarness>[1], on: TestStore = store) {
  const h = await createEngineHarness(on, options);
  harnesses.push(h);
  return h;
}

const rowsOf = (ticketId: string, on: TestStore = store) =>
  on.db.selectFrom('quarantined_items').selectAll().where('ticket_id', '=', ticketId).orderBy('until').orderBy('id').execute();
const auditOf = (ticketId: string, prefix = 'quarantine.', on: TestStore = store) =>
  on.db
    .selectFrom('audit_log')
    .select(['kind', 'actor', 'details'])
    .where('ticket_id', '=', ticketId)
    .where('kind', 'like', `${prefix}%`)
    .orderBy('seq')
    .execute();
const stagedDir = (h: EngineHarness, ticketId: string) => readdir(path.join(h.dir, 'staging', ticketId));

/** A per-item ticket of a clean text file and an ELF (blocked by the default policy), processed to its end. */
async function blockedTicket(
  h: EngineHarness,
  mode: 'per-item' | 'all-or-nothing' = 'per-item',
  options: { redact?: boolean; on?: TestStore } = {},
) {
  const { db } = options.on ?? store;
  await writeFile(path.join(h.inbox, 'a.txt'), 'hello');
  await writeFile(path.join(h.inbox, 'tool.bin'), tinyElf());
  const id = await h.submit(mode);
  if (options.redact) await db.updateTable('tickets').set({ redact_names: true }).where('id', '=', id).execute();
  const ticket = await h.processor.process(id);
  const items = await listItems(db, id);
  return { id, ticket, clean: items.find((i) => i.source_path === 'a.txt')!, elf: items.find((i) => i.source_path === 'tool.bin')! };
}

describe(`quarantine in the engine (${backendName})`, () => {
  it("keeps a blocked ELF's staged bytes and a held row until now + days; the ticket's other staged items go", async () => {
    const h = await harness({ quarantine: { days: 7 } });
    const before = Date.now();
    const { id, ticket, clean, elf } = await blockedTicket(h);
    expect(ticket.state).toBe('partially_delivered');
    expect(elf).toMatchObject({ state: 'blocked', verdict: 'block' });

    const rows = await rowsOf(id);
    expect(rows).toEqual([
      expect.objectContaining({ item_id: elf.id, state: 'held', requested_by: null, released_by: null, purged_at: null }),
    ]);
    expect(rows[0]!.until.getTime()).toBeGreaterThanOrEqual(before + 7 * DAY);
    expect(rows[0]!.until.getTime()).toBeLessThanOrEqual(Date.now() + 7 * DAY);

    // The staged copy is still there, still decrypts, and is exactly what was blocked; the delivered item is gone.
    expect(await h.staging.has(id, elf.id)).toBe(true);
    expect(await buffer(h.staging.open(id, elf.id))).toEqual(tinyElf());
    expect(await h.staging.has(id, clean.id)).toBe(false);

    expect(await auditOf(id)).toEqual([
      {
        kind: 'quarantine.held',
        actor: 'worker:test',
        details: {
          quarantineId: rows[0]!.id,
          itemId: elf.id,
          seq: elf.seq,
          path: 'tool.bin',
          until: rows[0]!.until.toISOString(),
          days: 7,
        },
      },
    ]);
    // Committed with the final transition: the audit record follows the ticket's transition to partially_delivered.
    const trail = await auditOf(id, '');
    const final = trail.findIndex((r) => r.kind === 'ticket.transition' && (r.details as { to?: string }).to === 'partially_delivered');
    expect(final).toBeGreaterThanOrEqual(0);
    expect(trail[final + 1]?.kind).toBe('quarantine.held');
  });

  it('all-or-nothing: only the blocked item is quarantined; the item held back with it is removed from staging', async () => {
    const h = await harness({ quarantine: { days: 30 } });
    const { id, ticket, clean, elf } = await blockedTicket(h, 'all-or-nothing');
    expect(ticket.state).toBe('blocked');
    expect(clean.state).toBe('held');
    expect((await rowsOf(id)).map((r) => [r.item_id, r.state])).toEqual([[elf.id, 'held']]);
    expect(await h.staging.has(id, elf.id)).toBe(true);
    expect(await h.staging.has(id, clean.id)).toBe(false);
    expect(await readdir(h.outbox)).toEqual([]);
  });

  it('without quarantine, a blocked item is purged with the rest of the staging and no row is written', async () => {
    const h = await harness();
    const { id, ticket } = await blockedTicket(h);
    expect(ticket.state).toBe('partially_delivered');
    expect(await rowsOf(id)).toEqual([]);
    expect(await auditOf(id)).toEqual([]);
    await expect(stagedDir(h, id)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('with redacted names, audit records name the item by id and seq only, and the list shows its hash', async () => {
    const h = await harness({ quarantine: { days: 7 } });
    const { id, elf } = await blockedTicket(h, 'per-item', { redact: true });
    const [held] = await auditOf(id);
    expect(held?.details).toEqual(expect.objectContaining({ itemId: elf.id, seq: elf.seq }));
    expect(JSON.stringify(held)).not.toContain('tool.bin');
    const [view] = (await listQuarantine(store.db)).filter((v) => v.ticketId === id);
    expect(view).toMatchObject({ name: expect.stringMatching(/^sha256:[0-9a-f]{16}$/), seq: elf.seq, size: 64, sha256: elf.sha256 });
    expect(view!.detectors.length).toBeGreaterThan(0);
  });

  it('holding again is a no-op: the row, its until and its audit record stay as first written', async () => {
    const h = await harness({ quarantine: { days: 7 } });
    const { id } = await blockedTicket(h);
    const [first] = await rowsOf(id);
    const ticket = await getTicketRow(store.db, id);
    const again = await inTransaction(store.db, (trx) => holdBlockedItems(trx, ticket, { days: 1, actor: 'worker:other' }));
    expect(again).toEqual([]);
    expect(await rowsOf(id)).toEqual([first]);
    expect(await auditOf(id)).toHaveLength(1);
  });
});

describe(`purgeExpiredQuarantine (${backendName})`, () => {
  it('purges items past until (staging removed, state purged, audited by system), and the ticket staging once none is held', async () => {
    const h = await harness({ quarantine: { days: 7 } }, expiryStore);
    await writeFile(path.join(h.inbox, 'tool.bin'), tinyElf());
    await writeFile(path.join(h.inbox, 'other.bin'), tinyElf());
    const id = await h.submit('per-item');
    expect((await h.processor.process(id)).state).toBe('blocked');
    const rows = await rowsOf(id, expiryStore);
    expect(rows).toHaveLength(2);
    const [early, late] = rows;
    await expiryStore.db
      .updateTable('quarantined_items')
      .set({ until: new Date(Date.now() + DAY) })
      .where('id', '=', early!.id)
      .execute();

    // Nothing is due yet.
    const now = Date.now();
    expect(await purgeExpiredQuarantine(expiryStore.db, h.staging, new Date(now))).toMatchObject({ purged: 0 });

    // Two days on: the early one goes, the other stays, and so does the ticket's staging (key included).
    const result = await purgeExpiredQuarantine(expiryStore.db, h.staging, new Date(now + 2 * DAY));
    expect(result).toEqual({ purged: 1, ticketsPurged: 0, failed: 0 });
    expect(await h.staging.has(id, early!.item_id)).toBe(false);
    expect(await buffer(h.staging.open(id, late!.item_id))).toEqual(tinyElf());
    expect((await rowsOf(id, expiryStore)).find((r) => r.id === early!.id)).toMatchObject({
      state: 'purged',
      purged_at: new Date(now + 2 * DAY),
    });

    // Past the second until: nothing is held any more, so the ticket's staging is purged whole.
    expect(await purgeExpiredQuarantine(expiryStore.db, h.staging, new Date(now + 8 * DAY))).toEqual({
      purged: 1,
      ticketsPurged: 1,
      failed: 0,
    });
    await expect(stagedDir(h, id)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await rowsOf(id, expiryStore)).map((r) => r.state)).toEqual(['purged', 'purged']);
    const purged = (await auditOf(id, 'quarantine.', expiryStore)).filter((r) => r.kind === 'quarantine.purged');
    expect(purged.map((r) => r.actor)).toEqual(['system', 'system']);
    expect(purged.map((r) => (r.details as { quarantineId: string }).quarantineId)).toEqual([early!.id, late!.id]);

    // A later pass finds nothing to do.
    expect(await purgeExpiredQuarantine(expiryStore.db, h.staging, new Date(now + 9 * DAY))).toEqual({
      purged: 0,
      ticketsPurged: 0,
      failed: 0,
    });
  });

  it('also purges an item whose release was asked for but never approved', async () => {
    const h = await harness({ quarantine: { days: 1 } }, expiryStore);
    const { id, elf } = await blockedTicket(h, 'per-item', { on: expiryStore });
    await expiryStore.db
      .updateTable('quarantined_items')
      .set({ state: 'release_requested', requested_by: 'olga', requested_at: new Date(), reason: 'needed' })
      .where('ticket_id', '=', id)
      .execute();
    expect(await purgeExpiredQuarantine(expiryStore.db, h.staging, new Date(Date.now() + 2 * DAY))).toMatchObject({ purged: 1 });
    expect(await h.staging.has(id, elf.id)).toBe(false);
    expect((await auditOf(id, 'quarantine.', expiryStore)).at(-1)).toMatchObject({
      kind: 'quarantine.purged',
      details: expect.objectContaining({ requestedBy: 'olga' }),
    });
  });
});

describe(`sweepOrphanedStaging and quarantine (${backendName})`, () => {
  it("keeps a finished ticket's staging while it holds quarantined items, and sweeps it once they are purged", async () => {
    const h = await harness({ quarantine: { days: 7 } });
    const { id, elf } = await blockedTicket(h);
    const plain = await harness();
    const { id: unquarantined } = await blockedTicket(plain);
    // A crash between the final transition and its purge leaves a plain finished ticket's staging behind.
    await plain.staging.stage(unquarantined, randomUUID(), Readable.from([Buffer.from('left')]));

    expect(await sweepOrphanedStaging(store.db, h.staging, silent)).toEqual({ swept: 0, kept: 1 });
    expect(await buffer(h.staging.open(id, elf.id))).toEqual(tinyElf());
    expect(await sweepOrphanedStaging(store.db, plain.staging, silent)).toEqual({ swept: 1, kept: 0 });

    // Ended by expiry but (a crash) not purged: nothing is held any more, so the sweep purges it.
    await store.db.updateTable('quarantined_items').set({ state: 'purged', purged_at: new Date() }).where('ticket_id', '=', id).execute();
    expect(await sweepOrphanedStaging(store.db, h.staging, silent)).toEqual({ swept: 1, kept: 0 });
    await expect(stagedDir(h, id)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('keeps a ticket whose release is requested', async () => {
    const h = await harness({ quarantine: { days: 7 } });
    const { id } = await blockedTicket(h);
    await store.db
      .updateTable('quarantined_items')
      .set({ state: 'release_requested', requested_by: 'olga', requested_at: new Date() })
      .where('ticket_id', '=', id)
      .execute();
    expect(await sweepOrphanedStaging(store.db, h.staging, silent)).toEqual({ swept: 0, kept: 1 });
  });
});
