import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { AirlockError } from '../errors.js';
import { TICKET_STATES } from '../tickets/states.js';
import { Counter, Gauge, Histogram, Registry } from './registry.js';

export type TransferPhase = 'fetch' | 'deliver';

/** What the engine and the approvals code record. Must stay cheap and never throw for valid input: it runs inside transfers. */
export interface MetricsRecorder {
  /** One check ran on one item for `ms` milliseconds (its check run's `durationMs`). Called by the fetch step. */
  observeCheck(check: string, ms: number): void;
  /**
   * One item's fetch (staging and inspection) or delivery ended after `seconds`, having moved `bytes`; `ok` is
   * false when it failed. Called once per attempt by the fetch and deliver steps.
   */
  observeTransfer(phase: TransferPhase, seconds: number, bytes: number, ok: boolean): void;
  /** A ticket left awaiting_approval `seconds` after it entered it. Called by the approvals code. */
  observeApproval(seconds: number): void;
}

export interface AirlockMetricsConfig {
  /** Where tickets are counted at each scrape. */
  db: Db;
  /** Jobs waiting or running per queue, read at each scrape (`TicketQueue.depth`); no queue gauge without it. */
  queueDepth?: () => Promise<Record<string, number>>;
}

const PHASES: readonly TransferPhase[] = ['fetch', 'deliver'];
// Bucket bounds in seconds: checks take milliseconds to minutes per file, transfers up to an hour,
// approvals minutes to a week.
const CHECK_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300];
const TRANSFER_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];
const APPROVAL_BUCKETS = [60, 300, 900, 1800, 3600, 7200, 14_400, 28_800, 86_400, 172_800, 604_800];

/**
 * Airlock's metric set for `GET /metrics`. Counters and histograms are fed by the engine and the approvals
 * code through `metrics()`; ticket counts and queue depth are read when scraped, so every replica that
 * serves metrics reports the same ticket counts.
 */
export class AirlockMetrics implements MetricsRecorder {
  readonly registry = new Registry();
  readonly #tickets = this.registry.register(
    new Gauge({ name: 'airlock_tickets', help: 'Tickets by state, counted in the database at scrape time.', labelNames: ['state'] }),
  );
  readonly #bytes = this.registry.register(
    new Counter({
      name: 'airlock_bytes_moved_total',
      help: 'Bytes read from sources (fetch) and written to destinations (deliver).',
      labelNames: ['phase'],
    }),
  );
  readonly #items = this.registry.register(
    new Counter({ name: 'airlock_items_total', help: 'Item fetch and delivery attempts by outcome.', labelNames: ['phase', 'outcome'] }),
  );
  readonly #checks = this.registry.register(
    new Histogram({
      name: 'airlock_check_duration_seconds',
      help: 'Time one check spent on one item.',
      labelNames: ['check'],
      buckets: CHECK_BUCKETS,
    }),
  );
  readonly #transfers = this.registry.register(
    new Histogram({
      name: 'airlock_transfer_duration_seconds',
      help: 'Time to fetch (stage and inspect) or deliver one item, successful attempts only.',
      labelNames: ['phase'],
      buckets: TRANSFER_BUCKETS,
    }),
  );
  readonly #queues = this.registry.register(
    new Gauge({ name: 'airlock_queue_depth', help: 'Jobs queued or running per job queue.', labelNames: ['queue'] }),
  );
  readonly #approvals = this.registry.register(
    new Histogram({ name: 'airlock_approval_latency_seconds', help: 'Time tickets spent awaiting approval.', buckets: APPROVAL_BUCKETS }),
  );

  constructor(config: AirlockMetricsConfig) {
    this.registry.register(new Gauge({ name: 'airlock_up', help: 'Always 1: this Airlock process is serving metrics.' })).set({}, 1);
    this.registry
      .register(new Gauge({ name: 'process_start_time_seconds', help: 'Start time of the process since the Unix epoch, in seconds.' }))
      .set({}, Math.round(performance.timeOrigin) / 1000);
    // Zero series from the start, so that rate() sees the first increase.
    for (const phase of PHASES) {
      this.#bytes.inc({ phase }, 0);
      for (const outcome of ['ok', 'failed']) this.#items.inc({ phase, outcome }, 0);
    }
    this.registry.addCollector(() => this.#countTickets(config.db));
    const { queueDepth } = config;
    if (queueDepth) this.registry.addCollector(() => this.#readQueues(queueDepth));
  }

  /** The exposition text; rejects, with no partial output, when the database cannot be read. */
  async render(): Promise<string> {
    try {
      await this.registry.collect();
    } catch (error) {
      throw new AirlockError(
        'store_unavailable',
        'Metrics could not be read from the database; check that it is reachable and scrape again.',
        {
          cause: error,
        },
      );
    }
    return this.registry.render();
  }

  observeCheck(check: string, ms: number): void {
    this.#checks.observe({ check }, ms / 1000);
  }

  observeTransfer(phase: TransferPhase, seconds: number, bytes: number, ok: boolean): void {
    this.#bytes.inc({ phase }, bytes);
    this.#items.inc({ phase, outcome: ok ? 'ok' : 'failed' });
    // A failure's duration (an instant refusal, a timeout) says nothing about transfer speed.
    if (ok) this.#transfers.observe({ phase }, seconds);
  }

  observeApproval(seconds: number): void {
    this.#approvals.observe({}, seconds);
  }

  async #countTickets(db: Db): Promise<void> {
    const rows = await db
      .selectFrom('tickets')
      .select(['state', sql<number>`count(*)::int`.as('n')])
      .groupBy('state')
      .execute();
    const counts = new Map<string, number>(TICKET_STATES.map((state) => [state, 0]));
    for (const row of rows) counts.set(row.state, Number(row.n));
    this.#tickets.reset();
    for (const [state, n] of counts) this.#tickets.set({ state }, n);
  }

  async #readQueues(queueDepth: () => Promise<Record<string, number>>): Promise<void> {
    const depth = await queueDepth();
    this.#queues.reset();
    for (const [queue, n] of Object.entries(depth)) this.#queues.set({ queue }, n);
  }
}

const NO_METRICS: MetricsRecorder = { observeCheck() {}, observeTransfer() {}, observeApproval() {} };
let current: MetricsRecorder = NO_METRICS;

/** Makes `m` the process's recorder (the server does, once); `undefined` goes back to recording nothing. */
export function setMetrics(m: AirlockMetrics | undefined): void {
  current = m ?? NO_METRICS;
}

/**
 * The process's recorder: the AirlockMetrics the server set, or one that drops everything (the CLI, where
 * nothing scrapes). To render, hold the AirlockMetrics you created and set.
 */
export function metrics(): MetricsRecorder {
  return current;
}
