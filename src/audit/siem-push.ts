import type { Db, Store } from '../db/database.js';
import type { AuditSinksTable } from '../db/schema.js';
import type { Logger } from '../log/logger.js';
import { AIRLOCK_VERSION } from '../cli/version.js';
import { readAudit, type AuditRecord } from './audit-log.js';
import { toJsonRecord } from './export-format.js';
import type { SiemFormat } from './siem-config.js';

export interface SiemPusherConfig {
  /** The store whose audit log is pushed (its kind decides how a batch is claimed, see SiemPusher). */
  store: Pick<Store, 'db' | 'kind'>;
  /** AIRLOCK_SIEM_URL. */
  url: string;
  format: SiemFormat;
  /** AIRLOCK_SIEM_TOKEN; sent in the Authorization header, never logged, never stored. */
  token?: string | undefined;
  logger: Logger;
  /** The row of `audit_sinks` holding this sink's cursor; `siem` by default. */
  sink?: string;
  /** Records per request, at most 100 (the default). */
  batchSize?: number;
  /** Wait in ms after the `failures`-th consecutive failure; 1 s doubling up to 5 min by default. */
  backoff?: (failures: number) => number;
  /** Gives up on one request after this long (a network error `timeout`). */
  timeoutMs?: number;
  now?: () => Date;
}

/** What one `pushOnce` did. */
export interface PushRun {
  /** Records the SIEM accepted. */
  pushed: number;
  /** The sink's cursor afterwards: every record up to it has been accepted. */
  lastSeq: number;
  /** Why the last request failed (`HTTP 503`, `ECONNREFUSED`, `timeout`); never holds the token. */
  error?: string;
  /** Set when the sink is backing off: the next try is due in this many ms. */
  retryInMs?: number;
  /** Another process held the sink's cursor: it is pushing right now. */
  busy?: boolean;
}

type Step =
  | { kind: 'pushed'; count: number; lastSeq: number }
  | { kind: 'idle'; lastSeq: number }
  | { kind: 'waiting'; lastSeq: number; retryInMs: number }
  | { kind: 'failed'; lastSeq: number; error: string; retryInMs: number }
  | { kind: 'busy' };

type SinkRow = Pick<AuditSinksTable, 'name'> & { last_seq: number; failures: number; updated_at: Date };

const MAX_BATCH = 100;
const DEFAULT_TIMEOUT_MS = 30_000;

/** 1 s, 2 s, 4 s… up to 5 min. */
export function defaultSiemBackoff(failures: number): number {
  return Math.min(1000 * 2 ** Math.max(0, failures - 1), 300_000);
}

/**
 * Pushes the audit log to a SIEM: every record after the sink's cursor (`audit_sinks.last_seq`, the row
 * is created on first use, starting at 0: the whole log), in seq order, in batches of up to 100, by HTTP
 * POST. Checkpoint records go like any other, so the SIEM holds a copy of the heads outside the database.
 *
 * - Formats: `splunk-hec` posts newline-separated `{"time","sourcetype":"airlock:audit","event"}` objects
 *   with `Authorization: Splunk <token>`; `webhook` posts a JSON array of records, with
 *   `Authorization: Bearer <token>` when a token is set.
 * - Only a 2xx moves the cursor, in one statement guarded by the cursor the batch was read at. Anything
 *   else (status, network error, timeout, a redirect) stores `last_error` (the status code or error code,
 *   never the token, never the response body) and counts `failures`; the sink then waits 1 s, doubling up to
 *   5 min, timed from `updated_at`, so every process honours the same backoff.
 * - One pusher per sink at a time: on PostgreSQL each batch is claimed with `select … for update skip
 *   locked` on the sink's row, held in a transaction across the (time-limited) POST; a process that finds
 *   the row locked skips its turn. The embedded store belongs to one process, so there the batch is read and
 *   sent without holding its single session through the request; the guarded update still keeps two
 *   pushers of one process from both moving the cursor.
 * - At least once: a process that dies after the SIEM accepted a batch and before the cursor moved sends
 *   that batch again. Every event carries its `seq` and `hash`, so the SIEM can drop the repeat.
 */
export class SiemPusher {
  readonly #db: Db;
  readonly #lockRow: boolean;
  readonly #url: string;
  readonly #format: SiemFormat;
  readonly #token: string | undefined;
  readonly #log: Logger;
  readonly #sink: string;
  readonly #batchSize: number;
  readonly #backoff: (failures: number) => number;
  readonly #timeoutMs: number;
  readonly #now: () => Date;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = true;
  /** Set by stop(): a pass in progress ends after its current batch. */
  #halting = false;

  constructor(config: SiemPusherConfig) {
    this.#db = config.store.db;
    this.#lockRow = config.store.kind === 'postgres';
    this.#url = config.url;
    this.#format = config.format;
    this.#token = config.token;
    this.#sink = config.sink ?? 'siem';
    this.#log = config.logger.child({ component: 'siem', sink: this.#sink });
    this.#batchSize = Math.min(Math.max(1, Math.floor(config.batchSize ?? MAX_BATCH)), MAX_BATCH);
    this.#backoff = config.backoff ?? defaultSiemBackoff;
    this.#timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#now = config.now ?? (() => new Date());
  }

  /**
   * One pass: pushes batch after batch until the SIEM has everything, a request fails, the sink is backing
   * off, or another process is pushing it. After `stop()`, at most the batch in flight.
   */
  async pushOnce(): Promise<PushRun> {
    await this.#db
      .insertInto('audit_sinks')
      .values({ name: this.#sink })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    let pushed = 0;
    for (;;) {
      const step = this.#lockRow
        ? await this.#db.transaction().execute(async (trx) => {
            const sink = await trx
              .selectFrom('audit_sinks')
              .select(['name', 'last_seq', 'failures', 'updated_at'])
              .where('name', '=', this.#sink)
              .forUpdate()
              .skipLocked()
              .executeTakeFirst();
            return sink ? this.#step(trx, sink) : ({ kind: 'busy' } as const);
          })
        : await this.#step(
            this.#db,
            await this.#db
              .selectFrom('audit_sinks')
              .select(['name', 'last_seq', 'failures', 'updated_at'])
              .where('name', '=', this.#sink)
              .executeTakeFirstOrThrow(),
          );
      switch (step.kind) {
        case 'pushed':
          pushed += step.count;
          if (this.#halting) return { pushed, lastSeq: step.lastSeq };
          continue;
        case 'idle':
          return { pushed, lastSeq: step.lastSeq };
        case 'waiting':
          return { pushed, lastSeq: step.lastSeq, retryInMs: step.retryInMs };
        case 'failed':
          return { pushed, lastSeq: step.lastSeq, error: step.error, retryInMs: step.retryInMs };
        case 'busy':
          return { pushed, lastSeq: await this.#cursor(), busy: true };
      }
    }
  }

  /** Pushes every `intervalMs` (sooner or later while backing off) until `stop()`. */
  start(intervalMs: number): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#halting = false;
    const tick = (): void => {
      let next = intervalMs;
      this.#running = this.pushOnce()
        .then((run) => {
          if (run.retryInMs !== undefined) next = run.retryInMs;
        })
        .catch((error: unknown) => this.#log.error({ err: error }, 'SIEM push pass failed'))
        .finally(() => {
          this.#running = undefined;
          if (!this.#stopped) this.#timer = setTimeout(tick, next).unref();
        });
    };
    tick();
  }

  /** Stops the timer; a pass in progress ends after the batch in flight, and this waits for it. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#halting = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  async #cursor(): Promise<number> {
    const row = await this.#db.selectFrom('audit_sinks').select('last_seq').where('name', '=', this.#sink).executeTakeFirst();
    return row?.last_seq ?? 0;
  }

  /** One batch after the cursor of `sink` (claimed by the caller): sent, and the cursor moved or the failure kept. */
  async #step(db: Db, sink: SinkRow): Promise<Step> {
    const now = this.#now();
    if (sink.failures > 0) {
      const wait = sink.updated_at.getTime() + this.#backoff(sink.failures) - now.getTime();
      if (wait > 0) return { kind: 'waiting', lastSeq: sink.last_seq, retryInMs: wait };
    }
    const records = await readAudit(db, { afterSeq: sink.last_seq, limit: this.#batchSize });
    const last = records.at(-1);
    if (!last) return { kind: 'idle', lastSeq: sink.last_seq };
    const error = await this.#post(records);
    if (error === undefined) {
      const moved = await db
        .updateTable('audit_sinks')
        .set({ last_seq: last.seq, last_error: null, failures: 0, updated_at: this.#now() })
        .where('name', '=', this.#sink)
        .where('last_seq', '=', sink.last_seq)
        .executeTakeFirst();
      if (moved.numUpdatedRows === 0n) {
        this.#log.warn({ fromSeq: records[0]!.seq, toSeq: last.seq }, 'another pusher moved the cursor meanwhile: this batch went twice');
        return { kind: 'idle', lastSeq: await this.#cursor() };
      }
      if (sink.failures > 0) this.#log.info({ failures: sink.failures }, 'SIEM reachable again');
      this.#log.debug({ records: records.length, lastSeq: last.seq }, 'audit records pushed');
      return { kind: 'pushed', count: records.length, lastSeq: last.seq };
    }
    const failures = sink.failures + 1;
    const retryInMs = this.#backoff(failures);
    await db
      .updateTable('audit_sinks')
      .set({ last_error: error, failures, updated_at: now })
      .where('name', '=', this.#sink)
      .where('last_seq', '=', sink.last_seq)
      .execute();
    this.#log.warn({ error, failures, fromSeq: records[0]!.seq, retryInMs }, 'SIEM push failed; will retry');
    return { kind: 'failed', lastSeq: sink.last_seq, error, retryInMs };
  }

  /** POSTs one batch; returns why it was not accepted, or undefined. */
  async #post(records: readonly AuditRecord[]): Promise<string | undefined> {
    const headers: Record<string, string> = { 'user-agent': `airlock/${AIRLOCK_VERSION}`, 'content-type': 'application/json' };
    let body: string;
    if (this.#format === 'splunk-hec') {
      body = records.map(splunkEvent).join('\n');
      if (this.#token !== undefined) headers.authorization = `Splunk ${this.#token}`;
    } else {
      body = JSON.stringify(records.map(toJsonRecord));
      if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    }
    try {
      // A redirect is a failure: following it could hand the token to another host.
      const response = await fetch(this.#url, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      await response.body?.cancel().catch(() => {});
      return response.status >= 200 && response.status < 300 ? undefined : `HTTP ${response.status}`;
    } catch (error) {
      return networkErrorCode(error);
    }
  }
}

/** One event for Splunk's HTTP Event Collector (`time` in epoch seconds). */
export function splunkEvent(record: AuditRecord): string {
  return JSON.stringify({ time: record.at.getTime() / 1000, sourcetype: 'airlock:audit', event: toJsonRecord(record) });
}

/** A code for a request that got no reply: `ECONNREFUSED`, `ENOTFOUND`, `timeout`… (never a message, which may hold the URL). */
function networkErrorCode(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timeout';
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^[A-Z0-9_]+$/.test(code)) return code;
    current = current.cause;
  }
  return 'network error';
}
