import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3rver, type S3rverServer } from '../../test/servers/s3rver-server.js';
import { backendName, createTestStore, type TestStore } from '../../test/test-store.js';
import { pageCommonPrefixes } from '../staging/s3-list-pages.test-support.js';
import { S3StagingStore } from '../staging/s3-staging-store.js';
import { StagingArea } from '../staging/staging-area.js';
import { TERMINAL_STATES, TICKET_STATES, type TicketState } from '../tickets/states.js';
import { createTicket, transitionTicket } from '../tickets/ticket-store.js';
import { sweepOrphanedStaging } from './sweep-staging.js';

let store: TestStore;
let dir: string;
beforeAll(async () => {
  store = await createTestStore();
  dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-sweep-'));
});
afterAll(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

const masterKey = randomBytes(32);
const silent = pino({ level: 'silent' });
const sorted = (ids: Iterable<string>) => [...ids].sort();

/** The transitions that bring a new ticket to each state the scenario needs, as the engine makes them. */
const PATHS = {
  delivered: ['fetching', 'inspecting', 'allowed', 'delivering', 'delivered'],
  failed: ['fetching', 'failed'],
  awaiting_approval: ['fetching', 'inspecting', 'awaiting_approval'],
  fetching: ['fetching'],
} as const satisfies Partial<Record<TicketState, readonly TicketState[]>>;

async function ticketIn(state: keyof typeof PATHS): Promise<string> {
  const { id } = await createTicket(store.db, {
    pipeline: 'sweep',
    requester: 'alice',
    purpose: 'sweep test',
    deliveryMode: 'per-item',
    policy: 'default',
  });
  for (const to of PATHS[state]) await transitionTicket(store.db, id, to, { actor: 'worker:test' });
  return id;
}

async function stagedIds(staging: StagingArea): Promise<string[]> {
  const ids: string[] = [];
  for await (const id of staging.stagedTickets()) ids.push(id);
  return ids;
}

interface Scenario {
  tickets: Record<keyof typeof PATHS, string>;
  /** A staged id no ticket has. */
  orphan: string;
  items: Map<string, string>;
}

/**
 * Stages one item for a ticket in each of delivered, failed, awaiting_approval and fetching and for an id with
 * no ticket, with scratch files left beside the delivered one (a worker killed while inspecting, then the
 * ticket finished on another one, killed before its purge).
 */
async function stageScenario(staging: StagingArea): Promise<Scenario> {
  const tickets = {
    delivered: await ticketIn('delivered'),
    failed: await ticketIn('failed'),
    awaiting_approval: await ticketIn('awaiting_approval'),
    fetching: await ticketIn('fetching'),
  };
  const orphan = randomUUID();
  const items = new Map<string, string>();
  for (const ticket of [...Object.values(tickets), orphan]) {
    const item = randomUUID();
    items.set(ticket, item);
    await staging.stage(ticket, item, Readable.from([Buffer.from(`content of ${ticket}`)]));
  }
  await writeFile(path.join(staging.ticketRoot(tickets.delivered), '.tmp-left-by-a-crash'), 'plaintext');
  return { tickets, orphan, items };
}

async function expectOnlyWaitingAndActiveKept(staging: StagingArea, { tickets, orphan, items }: Scenario): Promise<void> {
  expect(sorted(await stagedIds(staging))).toEqual(sorted([tickets.awaiting_approval, tickets.fetching]));
  for (const ticket of [tickets.awaiting_approval, tickets.fetching]) {
    expect(await staging.has(ticket, items.get(ticket)!)).toBe(true);
    // The wrapped key stayed with the items: still readable.
    expect(await text(staging.open(ticket, items.get(ticket)!))).toBe(`content of ${ticket}`);
  }
  for (const ticket of [tickets.delivered, tickets.failed, orphan]) expect(await staging.has(ticket, items.get(ticket)!)).toBe(false);
}

/** Counts the queries a Kysely instance runs. */
class QueryCounter implements KyselyPlugin {
  count = 0;
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.count++;
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

describe(`sweepOrphanedStaging (local store, ${backendName})`, () => {
  const localStaging = () => new StagingArea(path.join(dir, `local-${randomUUID()}`), masterKey);

  it("purges the staging of terminal and missing tickets, keeps awaiting_approval's and fetching's; a second sweep sweeps nothing", async () => {
    const staging = localStaging();
    const scenario = await stageScenario(staging);
    // Not ticket folders: left alone.
    await mkdir(path.join(staging.root, 'lost+found'));

    expect(await sweepOrphanedStaging(store.db, staging, silent)).toEqual({ swept: 3, kept: 2 });
    await expectOnlyWaitingAndActiveKept(staging, scenario);
    expect(sorted(await readdir(staging.root))).toEqual(
      sorted([scenario.tickets.awaiting_approval, scenario.tickets.fetching, 'lost+found']),
    );

    expect(await sweepOrphanedStaging(store.db, staging, silent)).toEqual({ swept: 0, kept: 2 });
    await expectOnlyWaitingAndActiveKept(staging, scenario);
  });

  it('keeps the staging of every non-terminal state and purges every terminal one', async () => {
    const staging = localStaging();
    const byState = new Map<TicketState, string>();
    for (const state of TICKET_STATES) {
      const { id } = await createTicket(store.db, {
        pipeline: 'sweep',
        requester: 'bob',
        purpose: state,
        deliveryMode: 'per-item',
        policy: 'default',
      });
      await store.db.updateTable('tickets').set({ state }).where('id', '=', id).execute();
      await staging.stage(id, randomUUID(), Readable.from([Buffer.from(state)]));
      byState.set(state, id);
    }
    const nonTerminal = TICKET_STATES.filter((state) => !TERMINAL_STATES.has(state));
    expect(await sweepOrphanedStaging(store.db, staging, silent)).toEqual({ swept: TERMINAL_STATES.size, kept: nonTerminal.length });
    expect(sorted(await stagedIds(staging))).toEqual(sorted(nonTerminal.map((state) => byState.get(state)!)));
  });

  it('looks tickets up one query per batch of staged ids', async () => {
    const staging = localStaging();
    const scenario = await stageScenario(staging);
    const counter = new QueryCounter();
    const db = store.db.withPlugin(counter);
    // 5 staged ids in batches of 2: 3 lookups.
    expect(await sweepOrphanedStaging(db, staging, silent, { batchSize: 2 })).toEqual({ swept: 3, kept: 2 });
    expect(counter.count).toBe(3);
    await expectOnlyWaitingAndActiveKept(staging, scenario);
    counter.count = 0;
    expect(await sweepOrphanedStaging(db, staging, silent)).toEqual({ swept: 0, kept: 2 });
    expect(counter.count).toBe(1);
  });

  it('does not query at all when nothing is staged', async () => {
    const counter = new QueryCounter();
    expect(await sweepOrphanedStaging(store.db.withPlugin(counter), localStaging(), silent)).toEqual({ swept: 0, kept: 0 });
    expect(counter.count).toBe(0);
  });

  it('runs on several workers at once without failing', async () => {
    const root = path.join(dir, `shared-${randomUUID()}`);
    const workers = [new StagingArea(root, masterKey), new StagingArea(root, masterKey), new StagingArea(root, masterKey)];
    const scenario = await stageScenario(workers[0]!);
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
    const results = await Promise.all(workers.map((staging) => sweepOrphanedStaging(store.db, staging, logger, { batchSize: 2 })));
    for (const result of results) {
      expect(result.kept).toBe(2);
      expect(result.swept).toBeLessThanOrEqual(3);
    }
    expect(lines.some((line) => line.includes('"failed"'))).toBe(false);
    await expectOnlyWaitingAndActiveKept(workers[0]!, scenario);
  });

  it('logs counts only, never ticket ids or paths', async () => {
    const staging = localStaging();
    await stageScenario(staging);
    const lines: string[] = [];
    const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
    await sweepOrphanedStaging(store.db, staging, logger);
    await sweepOrphanedStaging(store.db, staging, logger);
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]!)).toMatchObject({ swept: 3, kept: 2 });
    expect(JSON.parse(lines[1]!)).toMatchObject({ swept: 0, kept: 2 });
    for (const line of lines) {
      expect(line).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
      expect(line).not.toContain(dir);
    }
  });
});

describe(`sweepOrphanedStaging (s3 store, ${backendName})`, () => {
  const BUCKET = 'airlock-staging';
  let s3rver: S3rverServer;
  beforeAll(async () => {
    s3rver = await startS3rver({ buckets: [BUCKET] });
  });
  afterAll(async () => {
    await s3rver?.stop();
  });

  const s3Staging = (listPageSize?: number) => {
    const bucketStore = new S3StagingStore({
      bucket: BUCKET,
      prefix: `sweep/${randomUUID()}`,
      scratchRoot: path.join(dir, `scratch-${randomUUID()}`),
      clientConfig: s3rver.clientConfig,
      ...(listPageSize === undefined ? {} : { listPageSize }),
    });
    return { bucketStore, staging: new StagingArea(bucketStore, masterKey) };
  };

  it("purges objects, keys and scratch folders of terminal and missing tickets, keeps awaiting_approval's and fetching's", async () => {
    const { bucketStore, staging } = s3Staging();
    const scenario = await stageScenario(staging);
    // A ticket that left nothing but a scratch folder on this machine (killed after its objects were purged).
    const scratchOnly = randomUUID();
    await writeFile(path.join(staging.ticketRoot(scratchOnly), '.tmp-left-by-a-crash'), 'plaintext');

    expect(await sweepOrphanedStaging(store.db, staging, silent)).toEqual({ swept: 4, kept: 2 });
    await expectOnlyWaitingAndActiveKept(staging, scenario);
    expect(await readdir(bucketStore.scratchRoot)).toEqual([]);
    expect(await sweepOrphanedStaging(store.db, staging, silent)).toEqual({ swept: 0, kept: 2 });
  });

  it('sweeps across listing pages, purging between them', async () => {
    const { bucketStore, staging } = s3Staging(2);
    const scenario = await stageScenario(staging);
    const pages = pageCommonPrefixes(bucketStore.client);
    try {
      // 5 ticket folders, 2 a page, purges of earlier ones in between. The delivered ticket's scratch folder is
      // listed (and purged, objects too) first, so its folder may be gone from the bucket before its page: 2 or 3 pages.
      expect(await sweepOrphanedStaging(store.db, staging, silent, { batchSize: 2 })).toEqual({ swept: 3, kept: 2 });
      expect(pages.listings.length).toBeGreaterThanOrEqual(2);
      expect(pages.listings.every((listing) => listing.MaxKeys === 2)).toBe(true);
      await expectOnlyWaitingAndActiveKept(staging, scenario);
      expect(await sweepOrphanedStaging(store.db, staging, silent, { batchSize: 2 })).toEqual({ swept: 0, kept: 2 });
    } finally {
      pages.restore();
    }
  });
});
