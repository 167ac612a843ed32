// Pushing the audit log to a real (local) HTTP collector: failures and backoff, the cursor, a restart, and
// the token kept out of the database and the logs.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendName, createTestStore, type TestStore } from '../../test/test-store.js';
import { createLogger } from '../log/logger.js';
import { appendAudit, type AuditRecord } from './audit-log.js';
import { toJsonRecord, type AuditJson } from './export-format.js';
import { SiemPusher, type PushRun, type SiemPusherConfig } from './siem-push.js';

const TOKEN = 'hec-token-5f1b0c2e-do-not-leak';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

/** A local collector: `reply(n)` (n counts from 1) decides each request's status, and may run code first. */
async function collector(reply: (n: number) => number): Promise<{ url: string; requests: Received[]; server: Server }> {
  const requests: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const status = reply(requests.length + 1);
      requests.push({ headers: req.headers, body, status });
      res.writeHead(status, { 'content-type': 'application/json' }).end('{"text":"whatever"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/collector/event`, requests, server };
}

const accepted = (requests: Received[]) => requests.filter((r) => r.status >= 200 && r.status < 300);
const splunkSeqs = (requests: Received[]) =>
  accepted(requests).flatMap((r) => r.body.split('\n').map((line) => (JSON.parse(line) as { event: AuditJson }).event.seq));
const webhookSeqs = (requests: Received[]) => accepted(requests).flatMap((r) => (JSON.parse(r.body) as AuditJson[]).map((e) => e.seq));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

let store: TestStore;
const servers: Server[] = [];
const logText: string[] = [];
const logger = createLogger({
  level: 'debug',
  pretty: false,
  destination: new Writable({
    write(chunk: Buffer, _encoding, done) {
      logText.push(chunk.toString());
      done();
    },
  }),
});

async function append(n: number): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  for (let i = 0; i < n; i += 1) {
    out.push(
      await appendAudit(store.db, {
        kind: i % 3 ? 'ticket.transition' : 'auth.failed',
        actor: 'alice',
        ticketId: i % 2 ? randomUUID() : null,
        details: { i, note: 'a=b|c\nd' },
      }),
    );
  }
  return out;
}

async function sinkRow(name: string) {
  return store.db.selectFrom('audit_sinks').selectAll().where('name', '=', name).executeTakeFirstOrThrow();
}

function pusher(config: Partial<SiemPusherConfig> & Pick<SiemPusherConfig, 'url' | 'format' | 'sink'>): SiemPusher {
  return new SiemPusher({ store, logger, token: TOKEN, ...config });
}

describe(`SiemPusher (${backendName} store)`, () => {
  let records: AuditRecord[];
  beforeAll(async () => {
    store = await createTestStore();
    records = await append(20);
  });
  afterAll(async () => {
    for (const server of servers) server.close();
    await store?.close();
  });

  it('retries a collector that fails twice with 503, backing off, until each seq has arrived once, in order', async () => {
    const c = await collector((n) => (n <= 2 ? 503 : 200));
    servers.push(c.server);
    let clock = new Date('2026-06-01T00:00:00Z');
    const p = pusher({ url: c.url, format: 'splunk-hec', sink: 'splunk', backoff: (f) => 1000 * 2 ** (f - 1), now: () => clock });

    expect(await p.pushOnce()).toEqual({ pushed: 0, lastSeq: 0, error: 'HTTP 503', retryInMs: 1000 });
    expect(await sinkRow('splunk')).toMatchObject({ last_seq: 0, last_error: 'HTTP 503', failures: 1 });
    // Backing off: no request until the wait is over.
    clock = new Date(clock.getTime() + 999);
    expect(await p.pushOnce()).toEqual({ pushed: 0, lastSeq: 0, retryInMs: 1 });
    expect(c.requests).toHaveLength(1);
    clock = new Date(clock.getTime() + 1);
    expect(await p.pushOnce()).toEqual({ pushed: 0, lastSeq: 0, error: 'HTTP 503', retryInMs: 2000 });
    expect(await sinkRow('splunk')).toMatchObject({ last_seq: 0, last_error: 'HTTP 503', failures: 2 });
    clock = new Date(clock.getTime() + 2000);
    expect(await p.pushOnce()).toEqual({ pushed: 20, lastSeq: 20 });
    expect(await sinkRow('splunk')).toMatchObject({ last_seq: 20, last_error: null, failures: 0 });
    expect(await p.pushOnce()).toEqual({ pushed: 0, lastSeq: 20 });

    expect(c.requests).toHaveLength(3);
    expect(splunkSeqs(c.requests)).toEqual(range(1, 20));
    // The HEC format: one event object per line, epoch seconds, the record as the event.
    const ok = accepted(c.requests)[0]!;
    expect(ok.headers.authorization).toBe(`Splunk ${TOKEN}`);
    expect(ok.headers['content-type']).toBe('application/json');
    const lines = ok.body.split('\n');
    expect(lines).toHaveLength(20);
    expect(JSON.parse(lines[0]!)).toEqual({
      time: records[0]!.at.getTime() / 1000,
      sourcetype: 'airlock:audit',
      event: JSON.parse(JSON.stringify(toJsonRecord(records[0]!))) as unknown,
    });
    expect(Object.keys(JSON.parse(lines[1]!) as object)).toEqual(['time', 'sourcetype', 'event']);
  });

  it('resumes from the cursor after a restart, losing nothing and sending nothing twice (webhook format)', async () => {
    await append(20); // 21..40
    let stopping: Promise<void> | undefined;
    const c = await collector((n) => {
      if (n === 3) stopping = first.stop(); // a stop while the third request (the first accepted) is in flight
      return n <= 2 ? 503 : 200;
    });
    servers.push(c.server);
    // Start at the cursor the splunk sink left, as a sink created then would have.
    await store.db.insertInto('audit_sinks').values({ name: 'hook', last_seq: 20 }).execute();
    const first = pusher({ url: c.url, format: 'webhook', sink: 'hook', batchSize: 5, backoff: () => 20 });
    first.start(10);
    await expect.poll(() => stopping !== undefined, { timeout: 10_000 }).toBe(true);
    await stopping;
    expect(c.requests.map((r) => r.status)).toEqual([503, 503, 200]);
    expect(await sinkRow('hook')).toMatchObject({ last_seq: 25, last_error: null, failures: 0 });

    // A new process: a new pusher, the same sink.
    const second = pusher({ url: c.url, format: 'webhook', sink: 'hook', batchSize: 5 });
    expect(await second.pushOnce()).toEqual({ pushed: 15, lastSeq: 40 });
    expect(webhookSeqs(c.requests)).toEqual(range(21, 40));
    for (const r of accepted(c.requests)) {
      expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect((JSON.parse(r.body) as AuditJson[]).length).toBe(5);
    }
  });

  it('stores the network error code when the collector is down, and never the token', async () => {
    const c = await collector(() => 200);
    const url = c.url;
    await new Promise((resolve) => c.server.close(resolve));
    const p = pusher({ url, format: 'webhook', sink: 'down' });
    const run = await p.pushOnce();
    expect(run).toMatchObject({ pushed: 0, lastSeq: 0, error: 'ECONNREFUSED', retryInMs: 1000 });
    expect(await sinkRow('down')).toMatchObject({ last_seq: 0, last_error: 'ECONNREFUSED', failures: 1 });
  });

  it('sends no Authorization header to a webhook without a token', async () => {
    const c = await collector(() => 204);
    servers.push(c.server);
    await store.db.insertInto('audit_sinks').values({ name: 'open', last_seq: 38 }).execute();
    const p = new SiemPusher({ store, logger, url: c.url, format: 'webhook', sink: 'open' });
    expect(await p.pushOnce()).toEqual({ pushed: 2, lastSeq: 40 });
    expect(c.requests[0]!.headers.authorization).toBeUndefined();
    expect(webhookSeqs(c.requests)).toEqual([39, 40]);
  });

  it.runIf(backendName === 'postgres')('lets only one of two concurrent pushers send each batch', async () => {
    const c = await collector(() => 200);
    servers.push(c.server);
    const a = pusher({ url: c.url, format: 'webhook', sink: 'race', batchSize: 3 });
    const b = pusher({ url: c.url, format: 'webhook', sink: 'race', batchSize: 3 });
    const runs: PushRun[] = [];
    for (let round = 0; round < 40 && (await sinkRow('race').catch(() => ({ last_seq: 0 }))).last_seq < 40; round += 1) {
      runs.push(...(await Promise.all([a.pushOnce(), b.pushOnce()])));
    }
    expect(webhookSeqs(c.requests)).toEqual(range(1, 40));
    // The other one found the sink's row claimed and skipped its turn.
    expect(runs.some((run) => run.busy)).toBe(true);
  });

  it('never writes the token to the logs or the sinks table', async () => {
    expect(logText.join('')).toContain('SIEM push failed');
    expect(logText.join('')).not.toContain(TOKEN);
    const rows = await store.db.selectFrom('audit_sinks').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(TOKEN);
  });
});
