import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { temporaryName, type Connector, type WriteOptions } from '../../connectors/connector.js';
import { createConnector } from '../../connectors/index.js';
import { createEngineHarness, type EngineHarness } from '../../test/engine-harness.js';
import { backendName, createTestStore, type TestStore } from '../../test/test-store.js';
import { AirlockError } from '../errors.js';
import { DEFAULT_LIMITS } from '../inspect/inspection-limits.js';
import { listItems } from '../tickets/item-store.js';
import { getTicketRow } from '../tickets/ticket-store.js';
import { discardPartialDeliveries } from './deliver-step.js';
import type { StepContext } from './step-context.js';

let store: TestStore;
const harnesses: EngineHarness[] = [];
beforeAll(async () => {
  store = await createTestStore();
});
afterAll(async () => {
  for (const h of harnesses) await h.cleanup();
  await store.close();
});

const CONTENT = 'CANARY-51c0-delivery-content';

/**
 * The real local destination, whose `write` records each call's attempt and, for `crashOn`, leaves the
 * temporary file a write killed with `kill -9` would leave, then fails with `failure`.
 */
function crashingDestination(crashOn: string, failure: AirlockError, attempts: Map<string, string | undefined>) {
  let crashed = false;
  return (real: Connector): Connector => ({
    kind: real.kind,
    list: real.list.bind(real),
    open: real.open.bind(real),
    describe: real.describe.bind(real),
    async write(target: string, data, options: WriteOptions = {}) {
      attempts.set(target, options.attempt);
      if (target === crashOn && !crashed) {
        crashed = true;
        data.destroy();
        await writeFile(path.join(real.describe().location, temporaryName(target, options.attempt)), 'half a file');
        throw failure;
      }
      return real.write(target, data, options);
    },
  });
}

async function harness(options: Parameters<typeof createEngineHarness>[1]): Promise<EngineHarness> {
  const h = await createEngineHarness(store, options);
  harnesses.push(h);
  await writeFile(path.join(h.inbox, 'a.txt'), `${CONTENT} a`);
  await writeFile(path.join(h.inbox, 'b.txt'), `${CONTENT} b`);
  await writeFile(path.join(h.inbox, 'c.txt'), `${CONTENT} c`);
  return h;
}

/** A step context for `ticketId` whose destination is `destination` and whose warnings land in `logLines`. */
async function stepContext(h: EngineHarness, ticketId: string, destination: Connector, logLines: string[]): Promise<StepContext> {
  const local = createConnector({ kind: 'local', root: h.inbox }, { baseDir: h.dir, resolveSecret: async () => '' });
  return {
    db: store.db,
    actor: 'worker:test',
    staging: h.staging,
    logger: pino({ level: 'warn' }, { write: (line: string) => void logLines.push(line) }),
    ticket: await getTicketRow(store.db, ticketId),
    pipeline: {
      name: 'test',
      source: local,
      selector: {},
      destination,
      destinationKind: destination.kind,
      version: 'test',
      checks: [],
      deliveryMode: 'per-item',
      policy: {
        name: 'none',
        version: '0',
        decide: () => {
          throw new Error('no policy decisions while cleaning up');
        },
      },
      close: async () => {},
    },
    checkTimeoutMs: 1_000,
    limits: DEFAULT_LIMITS,
    itemConcurrency: 2,
  };
}

describe(`delivery after a crash (${backendName})`, () => {
  it("writes each item with its id as the attempt, so the retry replaces the killed attempt's temporary file", async () => {
    const attempts = new Map<string, string | undefined>();
    const killed = new AirlockError('connector_unreachable', 'the worker died mid-write');
    const h = await harness({ wrapDestination: crashingDestination('b.txt', killed, attempts) });
    const id = await h.submit();
    await expect(h.processor.process(id)).rejects.toBe(killed);
    const items = await listItems(store.db, id);
    const idOf = (source: string): string => items.find((i) => i.source_path === source)!.id;
    expect(await readdir(h.outbox)).toContain(temporaryName('b.txt', idOf('b.txt')));

    expect((await h.processor.process(id)).state).toBe('delivered');
    expect((await readdir(h.outbox)).sort()).toEqual(['a.txt', 'b.txt', 'c.txt']);
    expect(await readFile(path.join(h.outbox, 'b.txt'), 'utf8')).toBe(`${CONTENT} b`);
    expect(Object.fromEntries(attempts)).toEqual({ 'a.txt': idOf('a.txt'), 'b.txt': idOf('b.txt'), 'c.txt': idOf('c.txt') });
  });
});

/** A ticket whose every delivery was refused, so it ended `failed` with all its items not delivered. */
async function failedTicket(): Promise<{ h: EngineHarness; id: string }> {
  const h = await harness({
    wrapDestination: (real) => ({
      kind: real.kind,
      list: real.list.bind(real),
      open: real.open.bind(real),
      describe: real.describe.bind(real),
      write: (_target, data) => (data.destroy(), Promise.reject(new AirlockError('connector_failed', 'refused'))),
    }),
  });
  const id = await h.submit();
  expect((await h.processor.process(id)).state).toBe('failed');
  return { h, id };
}

describe(`discardPartialDeliveries (${backendName})`, () => {
  it('removes what a killed write left for every item not delivered, and touches nothing delivered', async () => {
    const attempts = new Map<string, string | undefined>();
    const h = await harness({ wrapDestination: crashingDestination('b.txt', new AirlockError('connector_failed', 'refused'), attempts) });
    const id = await h.submit();
    expect((await h.processor.process(id)).state).toBe('partially_delivered');
    const items = await listItems(store.db, id);
    const failed = items.find((i) => i.source_path === 'b.txt')!;
    expect(failed.state).toBe('failed');
    expect((await readdir(h.outbox)).sort()).toEqual([temporaryName('b.txt', failed.id), 'a.txt', 'c.txt'].sort());

    const real = createConnector({ kind: 'local', root: h.outbox }, { baseDir: h.dir, resolveSecret: async () => '' });
    const calls: [string, string][] = [];
    const destination: Connector = Object.assign(Object.create(real) as Connector, {
      discardPartial: (target: string, attempt: string) => (calls.push([target, attempt]), real.discardPartial!(target, attempt)),
    });
    const logLines: string[] = [];
    await discardPartialDeliveries(await stepContext(h, id, destination, logLines));
    expect(calls).toEqual([['b.txt', failed.id]]);
    expect((await readdir(h.outbox)).sort()).toEqual(['a.txt', 'c.txt']);
    expect(await readFile(path.join(h.outbox, 'a.txt'), 'utf8')).toBe(`${CONTENT} a`);
    expect(logLines).toEqual([]);
  });

  it('keeps going when one item cannot be cleaned, logging its id and error code but no path or content', async () => {
    const { h, id } = await failedTicket();
    const items = await listItems(store.db, id);
    const calls: string[] = [];
    const destination: Connector = {
      kind: 'local',
      list: () => (async function* () {})(),
      open: () => Promise.reject(new Error('unused')),
      write: () => Promise.reject(new Error('unused')),
      describe: () => ({ kind: 'local', location: h.outbox }),
      async discardPartial(target, attempt) {
        calls.push(attempt);
        if (target === 'b.txt') throw new AirlockError('connector_unreachable', `cannot reach ${target} (${CONTENT})`);
        if (target === 'c.txt') throw new Error(`plain failure on ${target}`);
      },
    };
    const logLines: string[] = [];
    await expect(discardPartialDeliveries(await stepContext(h, id, destination, logLines))).resolves.toBeUndefined();
    expect(calls.sort()).toEqual(items.map((i) => i.id).sort());
    const logged = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const byItem = (source: string) => logged.find((l) => l.itemId === items.find((i) => i.source_path === source)!.id);
    expect(byItem('b.txt')).toMatchObject({ code: 'connector_unreachable' });
    expect(byItem('c.txt')).toMatchObject({ code: 'internal_error' });
    expect(logged).toHaveLength(2);
    for (const line of logLines) {
      expect(line).not.toContain(CONTENT);
      expect(line).not.toContain('.txt');
    }
  });

  it('does nothing for a destination without discardPartial', async () => {
    const { h, id } = await failedTicket();
    const real = createConnector({ kind: 'local', root: h.outbox }, { baseDir: h.dir, resolveSecret: async () => '' });
    const withoutDiscard: Connector = {
      kind: real.kind,
      list: real.list.bind(real),
      open: real.open.bind(real),
      write: real.write.bind(real),
      describe: real.describe.bind(real),
    };
    await expect(discardPartialDeliveries(await stepContext(h, id, withoutDiscard, []))).resolves.toBeUndefined();
  });
});
