import { sql } from 'kysely';
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Check } from '../../checks/check.js';
import { filetypeCheck } from '../../checks/filetype/index.js';
import type { Connector } from '../../connectors/connector.js';
import { createEngineHarness, tinyElf, type EngineHarness } from '../../test/engine-harness.js';
import { TEST_CARDS } from '../../test/sample-values.js';
import { backendName, createTestStore, type TestStore } from '../../test/test-store.js';
import { AirlockError } from '../errors.js';
import { listCheckRuns, listItems } from '../tickets/item-store.js';
import { getTicketRow, listEvents, transitionTicket } from '../tickets/ticket-store.js';

let store: TestStore;
const harnesses: EngineHarness[] = [];
beforeAll(async () => {
  store = await createTestStore();
});
afterAll(async () => {
  for (const h of harnesses) await h.cleanup();
  await store.close();
});

async function harness(options?: Parameters<typeof createEngineHarness>[1]) {
  const h = await createEngineHarness(store, options);
  harnesses.push(h);
  return h;
}

const PLANTED = 'CANARY-7f3a9c-content-must-not-leak';

/** A check plugin that crashes with a message quoting the content, as a careless parser would. */
const crashingCheck: Check = {
  id: 'crashing',
  version: '1',
  description: 'throws on every item',
  async inspect() {
    throw new SyntaxError(`Unexpected token in "${PLANTED}"`);
  },
};

/** A check plugin that never finishes. */
const hangingCheck: Check = {
  id: 'hanging',
  version: '1',
  description: 'never returns',
  inspect: () => new Promise(() => {}),
};

describe(`ticket processor (${backendName})`, () => {
  it('per-item: delivers clean files byte for byte, blocks the executable, purges staging', async () => {
    const h = await harness();
    await writeFile(path.join(h.inbox, 'a.txt'), 'hello');
    await mkdir(path.join(h.inbox, 'sub'));
    await writeFile(path.join(h.inbox, 'sub', 'b.csv'), 'x,y\n1,2\n');
    await writeFile(path.join(h.inbox, 'tool.bin'), tinyElf());
    const id = await h.submit('per-item');
    const ticket = await h.processor.process(id);
    expect(ticket.state).toBe('partially_delivered');
    expect(await readFile(path.join(h.outbox, 'sub', 'b.csv'), 'utf8')).toBe('x,y\n1,2\n');
    expect((await readdir(h.outbox)).sort()).toEqual(['a.txt', 'sub']);
    const items = await listItems(store.db, id);
    expect(items.map((i) => [i.source_path, i.state, i.verdict])).toEqual([
      ['a.txt', 'delivered', 'allow'],
      ['sub/b.csv', 'delivered', 'allow'],
      ['tool.bin', 'blocked', 'block'],
    ]);
    await expect(readdir(path.join(h.dir, 'staging', id))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it("a ticket's own selection narrows what the pipeline selects, and only that is fetched and delivered", async () => {
    const h = await harness();
    await writeFile(path.join(h.inbox, 'a.txt'), 'hello');
    await mkdir(path.join(h.inbox, 'sub'));
    await writeFile(path.join(h.inbox, 'sub', 'b.csv'), 'x,y\n1,2\n');
    await writeFile(path.join(h.inbox, 'sub', 'c.txt'), 'left behind');
    const id = await h.submit('per-item', { include: ['sub/*.csv', 'a.*'] });
    expect((await h.processor.process(id)).state).toBe('delivered');
    expect((await listItems(store.db, id)).map((i) => i.source_path)).toEqual(['a.txt', 'sub/b.csv']);
    expect((await readdir(path.join(h.outbox, 'sub'))).sort()).toEqual(['b.csv']);
  });

  it('all-or-nothing: one executable blocks the ticket and nothing is delivered', async () => {
    const h = await harness();
    await writeFile(path.join(h.inbox, 'a.txt'), 'hello');
    await writeFile(path.join(h.inbox, 'tool.bin'), tinyElf());
    const id = await h.submit('all-or-nothing');
    expect((await h.processor.process(id)).state).toBe('blocked');
    expect(await readdir(h.outbox)).toEqual([]);
    expect((await listItems(store.db, id)).map((i) => i.state)).toEqual(['held', 'blocked']);
  });

  it('decides again after a crash between stopping the items and moving the ticket (the items already say blocked)', async () => {
    const h = await harness();
    await writeFile(path.join(h.inbox, 'a.txt'), 'hello');
    await writeFile(path.join(h.inbox, 'tool.bin'), tinyElf());
    const id = await h.submit('all-or-nothing');
    expect((await h.processor.process(id)).state).toBe('blocked');
    // As a worker killed right after the decision's transaction leaves it: items stopped, ticket still inspecting.
    await store.db.updateTable('tickets').set({ state: 'inspecting', finished_at: null }).where('id', '=', id).execute();
    expect((await h.processor.process(id)).state).toBe('blocked');
    expect((await listItems(store.db, id)).map((i) => i.state)).toEqual(['held', 'blocked']);
  });

  it('stops items, records the decision and moves the ticket in one transaction: a move that fails leaves none of them', async () => {
    const h = await harness();
    await writeFile(path.join(h.inbox, 'a.txt'), 'hello');
    await writeFile(path.join(h.inbox, 'tool.bin'), tinyElf());
    const id = await h.submit('all-or-nothing');
    // The database refuses this ticket's move to blocked, as a worker killed at that moment would never make it.
    await sql`create function refuse_blocked() returns trigger language plpgsql as $$
      begin if new.state = 'blocked' and new.id = ${sql.lit(id)} then raise exception 'refused for the test'; end if; return new; end $$`.execute(
      store.db,
    );
    await sql`create trigger refuse_blocked before update on tickets for each row execute function refuse_blocked()`.execute(store.db);
    try {
      await h.processor.process(id).catch(() => undefined);
      expect((await listItems(store.db, id)).map((i) => i.state)).toEqual(['inspected', 'inspected']);
      expect(await store.db.selectFrom('decisions').select('ticket_id').where('ticket_id', '=', id).executeTakeFirst()).toBeUndefined();
    } finally {
      await sql`drop trigger refuse_blocked on tickets`.execute(store.db);
      await sql`drop function refuse_blocked()`.execute(store.db);
    }
  });

  it('a check that throws makes the item fail closed, and its error text holds no content', async () => {
    const h = await harness({ checks: [filetypeCheck, crashingCheck] });
    await writeFile(path.join(h.inbox, 'clean.txt'), `nothing to see ${PLANTED}`);
    const id = await h.submit('per-item');
    expect((await h.processor.process(id)).state).toBe('blocked');
    const [item] = await listItems(store.db, id);
    expect(item).toMatchObject({ state: 'blocked', verdict: 'block', rule: 'check-failed' });
    const runs = await listCheckRuns(store.db, [item!.id]);
    const crashed = runs.find((r) => r.check === 'crashing');
    expect(crashed).toMatchObject({ status: 'error', error: 'the check threw SyntaxError' });
    expect(JSON.stringify({ runs, item, events: await listEvents(store.db, id) })).not.toContain(PLANTED);
    expect(await readdir(h.outbox)).toEqual([]);
  });

  it('a check that does not finish in time makes the item fail closed', async () => {
    const h = await harness({ checks: [hangingCheck], checkTimeoutMs: 200 });
    await writeFile(path.join(h.inbox, 'clean.txt'), 'fine');
    const id = await h.submit('per-item');
    expect((await h.processor.process(id)).state).toBe('blocked');
    const [item] = await listItems(store.db, id);
    expect(item?.verdict).toBe('block');
    expect(await listCheckRuns(store.db, [item!.id])).toMatchObject([{ check: 'hanging', status: 'timeout' }]);
  });

  it('resumes a ticket whose worker died mid-fetch: refetches from scratch and completes once', async () => {
    const h = await harness();
    await writeFile(path.join(h.inbox, 'a.txt'), 'hello');
    const id = await h.submit();
    await transitionTicket(store.db, id, 'fetching', { actor: 'worker:dead', from: 'requested' });
    await mkdir(path.join(h.dir, 'staging', id), { recursive: true });
    await writeFile(path.join(h.dir, 'staging', id, 'leftover'), 'partial');
    expect((await h.processor.process(id)).state).toBe('delivered');
    const events = await listEvents(store.db, id);
    expect(events.map((e) => e.to_state)).toEqual(['requested', 'fetching', 'inspecting', 'allowed', 'delivering', 'delivered']);
    await expect(readdir(path.join(h.dir, 'staging', id))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('resumes an interrupted delivery without rewriting what was already delivered', async () => {
    let failNext = true;
    const writes: string[] = [];
    const h = await harness({
      wrapDestination: (real): Connector => ({
        ...real,
        list: real.list.bind(real),
        open: real.open.bind(real),
        describe: real.describe.bind(real),
        async write(target, data, options) {
          if (target === 'b.txt' && failNext) {
            failNext = false;
            data.destroy();
            throw new AirlockError('connector_unreachable', 'destination dropped the connection');
          }
          writes.push(target);
          return real.write(target, data, options);
        },
      }),
    });
    await writeFile(path.join(h.inbox, 'a.txt'), 'first');
    await writeFile(path.join(h.inbox, 'b.txt'), 'second');
    const id = await h.submit();
    await expect(h.processor.process(id)).rejects.toMatchObject({ code: 'connector_unreachable' });
    expect((await getTicketRow(store.db, id)).state).toBe('delivering');
    expect((await h.processor.process(id)).state).toBe('delivered');
    expect(writes).toEqual(['a.txt', 'b.txt']);
    expect(await readFile(path.join(h.outbox, 'b.txt'), 'utf8')).toBe('second');
    const deliveredEvents = (await listEvents(store.db, id)).filter((e) => e.to_state === 'delivered');
    expect(deliveredEvents).toHaveLength(1);
  });

  it('an item whose content contradicts its name waits for approval, and is delivered once approved', async () => {
    const h = await harness();
    await writeFile(path.join(h.inbox, 'a.txt'), 'fine');
    await writeFile(path.join(h.inbox, 'photo.png'), 'this is text, not a PNG');
    const id = await h.submit('per-item');
    expect((await h.processor.process(id)).state).toBe('awaiting_approval');
    expect(await readdir(h.outbox)).toEqual([]);
    await transitionTicket(store.db, id, 'approved', { actor: 'bob', from: 'awaiting_approval', reason: 'expected file' });
    expect((await h.processor.process(id)).state).toBe('delivered');
    expect((await readdir(h.outbox)).sort()).toEqual(['a.txt', 'photo.png']);
  });

  it('inspects content: one card number waits for approval, ten distinct ones block, and no value reaches the database whole', async () => {
    const cards = TEST_CARDS.slice(0, 10);
    const h = await harness();
    await writeFile(path.join(h.inbox, 'one.csv'), `name,card\nalice,${cards[0]}\n`);
    const review = await h.submit('per-item');
    expect((await h.processor.process(review)).state).toBe('awaiting_approval');

    const h2 = await harness();
    await writeFile(path.join(h2.inbox, 'bulk.csv'), cards.map((c, i) => `p${i},${c}`).join('\n'));
    const blocked = await h2.submit('per-item');
    expect((await h2.processor.process(blocked)).state).toBe('blocked');
    const [item] = await listItems(store.db, blocked);
    expect(item).toMatchObject({ verdict: 'block', rule: 'pci-bulk' });
    const stored = await store.db.selectFrom('findings').selectAll().where('ticket_id', '=', blocked).execute();
    expect(stored).toHaveLength(10);
    expect(new Set(stored.map((f) => f.value_key)).size).toBe(10);
    expect(stored[0]?.trace).toMatchObject({ validator: 'luhn' });
    const dump = JSON.stringify({ stored, items: await listItems(store.db, blocked), events: await listEvents(store.db, blocked) });
    for (const card of cards) expect(dump).not.toContain(card);
  });

  it('a missing source root fails the ticket with a reason naming it', async () => {
    const h = await harness();
    const { rm } = await import('node:fs/promises');
    await rm(h.inbox, { recursive: true });
    const id = await h.submit();
    const error = await h.processor.process(id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AirlockError);
    await h.processor.fail(id, (error as AirlockError).message);
    const ticket = await getTicketRow(store.db, id);
    expect(ticket.state).toBe('failed');
    expect(ticket.failure_reason).toContain('inbox');
  });
});
