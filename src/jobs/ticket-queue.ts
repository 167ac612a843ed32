import { PgBoss, fromKysely, type JobWithMetadata } from 'pg-boss';
import type { Logger } from 'pino';
import type { Db, Store } from '../db/database.js';
import { AirlockError, coerceError, isRetryable } from '../errors.js';
import { ACTIVE_STATES } from '../tickets/states.js';

/** Queue names. A ticket's processing job is keyed by the ticket id. */
export const QUEUES = {
  /** Drive one ticket to its next resting state. */
  processTicket: 'ticket-process',
  /** Jobs that exhausted their retries or expired land here; their tickets are marked failed. */
  deadTicket: 'ticket-dead',
  /** Occurrences of pipeline schedules (pg-boss sends them; the schedule's key is the pipeline). */
  pipelineSchedule: 'pipeline-schedule',
} as const;

export interface TicketJob {
  ticketId: string;
}

export interface TicketQueueConfig {
  retryLimit: number;
  retryDelaySeconds: number;
  concurrency: number;
  /** How long `stop` lets running jobs finish before handing them back to the queue. */
  shutdownGraceSeconds?: number;
  /** A job whose worker stops signalling for this long is retried elsewhere (a killed worker's jobs come back). */
  heartbeatSeconds?: number;
  /** How often lapsed heartbeats and expired jobs are looked for. */
  superviseSeconds?: number;
}

export interface TicketHandlers {
  process(ticketId: string, job: { attempt: number; signal: AbortSignal }): Promise<void>;
  fail(ticketId: string, reason: string): Promise<void>;
  /** An occurrence of a pipeline's schedule came due (`createdOn`: when pg-boss sent it). */
  scheduled?(job: { pipeline: string; createdOn: Date }): Promise<void>;
}

export interface TicketQueueOptions {
  /** Run pg-boss maintenance (expiry, retention) in this process. */
  maintenance?: boolean;
  /** Fire pipeline schedules from this process (any number of processes may; pg-boss sends each occurrence once). */
  schedules?: boolean;
  /** How often schedules are checked; pg-boss's default (30 s) unless a test needs it sooner. */
  cronIntervalSeconds?: number;
}

/**
 * Ticket processing on pg-boss, in the same database as the tickets. Retries use exponential backoff;
 * the last failure of a job marks its ticket `failed` with the reason, and a job that dies without
 * reporting (a killed worker) reaches the dead-letter queue, which does the same. No ticket is lost.
 */
export class TicketQueue {
  private constructor(
    readonly boss: PgBoss,
    private readonly config: TicketQueueConfig,
    private readonly logger: Logger,
  ) {}

  static async start(store: Store, config: TicketQueueConfig, logger: Logger, options: TicketQueueOptions = {}): Promise<TicketQueue> {
    const boss = new PgBoss({
      ...store.bossOptions,
      supervise: options.maintenance ?? true,
      superviseIntervalSeconds: config.superviseSeconds ?? 30,
      schedule: options.schedules ?? false,
      ...(options.cronIntervalSeconds
        ? { cronMonitorIntervalSeconds: options.cronIntervalSeconds, cronWorkerIntervalSeconds: options.cronIntervalSeconds }
        : {}),
      migrate: true,
    });
    boss.on('error', (error) => logger.error({ err: error }, 'job queue error'));
    await boss.start();
    await boss.createQueue(QUEUES.deadTicket, { retryLimit: 2, retryDelay: 5, retentionSeconds: 7 * 24 * 3600 });
    const ticketQueue = {
      retryLimit: config.retryLimit,
      retryDelay: config.retryDelaySeconds,
      retryBackoff: true,
      retryDelayMax: 600,
      expireInSeconds: 6 * 3600,
      heartbeatSeconds: config.heartbeatSeconds ?? 30,
      deadLetter: QUEUES.deadTicket,
    };
    // One active job per ticket: a resumed ticket never runs on two workers at once.
    await boss.createQueue(QUEUES.processTicket, { policy: 'stately', ...ticketQueue });
    // createQueue leaves an existing queue as it was: settings changed since (retries, heartbeat) apply now.
    await boss.updateQueue(QUEUES.processTicket, ticketQueue);
    // A failed occurrence is retried a few times; the run itself is idempotent per occurrence.
    await boss.createQueue(QUEUES.pipelineSchedule, { retryLimit: 3, retryDelay: 30, retryBackoff: true, expireInSeconds: 600 });
    // Loads both queues into pg-boss's cache now: enqueueing inside a ticket transaction must not have
    // to look them up through another session (on the embedded store that would wait on itself).
    for (const name of Object.values(QUEUES)) await boss.getJobById(name, '00000000-0000-0000-0000-000000000000');
    return new TicketQueue(boss, config, logger);
  }

  /** Enqueues a ticket's processing; pass the ticket's transaction so both commit or neither does. */
  async enqueue(ticketId: string, trx?: Db): Promise<void> {
    await this.boss.send(QUEUES.processTicket, { ticketId } satisfies TicketJob, {
      singletonKey: ticketId,
      ...(trx ? { db: fromKysely(trx) } : {}),
    });
  }

  /** Re-enqueues every ticket left in an active state (after a crash or a restart). Duplicates are dropped by the queue policy. */
  async resumeStranded(db: Db): Promise<number> {
    const stranded = await db
      .selectFrom('tickets')
      .select('id')
      .where('state', 'in', [...ACTIVE_STATES])
      .execute();
    for (const { id } of stranded) await this.enqueue(id);
    return stranded.length;
  }

  /**
   * Jobs queued (including those waiting out a retry delay) or running, per queue, for the metrics endpoint.
   * `force` makes pg-boss count them again, but it reuses a count taken in the last minute, so a scrape costs
   * at most one aggregate over the job table per queue and minute, and the figure may be that old.
   */
  async depth(): Promise<Record<string, number>> {
    const depth: Record<string, number> = {};
    for (const name of Object.values(QUEUES)) {
      const [stats] = await this.boss.getQueueStats(name, { force: true });
      depth[name] = (stats?.queuedCount ?? 0) + (stats?.activeCount ?? 0);
    }
    return depth;
  }

  async work(handlers: TicketHandlers): Promise<void> {
    await this.boss.work(
      QUEUES.processTicket,
      { includeMetadata: true, localConcurrency: this.config.concurrency, pollingIntervalSeconds: 0.5 },
      async ([job]: JobWithMetadata<TicketJob>[]) => {
        if (job) await this.runJob(job, handlers);
      },
    );
    await this.boss.work<TicketJob>(QUEUES.deadTicket, { pollingIntervalSeconds: 2 }, async ([job]) => {
      if (job) await handlers.fail(job.data.ticketId, 'processing did not complete after every retry (the worker stopped or timed out)');
    });
    const scheduled = handlers.scheduled;
    if (scheduled) {
      await this.boss.work(
        QUEUES.pipelineSchedule,
        { includeMetadata: true, pollingIntervalSeconds: 2 },
        async ([job]: JobWithMetadata<{ pipeline: string }>[]) => {
          if (job) await scheduled({ pipeline: job.data.pipeline, createdOn: job.createdOn });
        },
      );
    }
  }

  private async runJob(job: JobWithMetadata<TicketJob>, handlers: TicketHandlers): Promise<void> {
    const { ticketId } = job.data;
    const log = this.logger.child({ jobId: job.id, ticketId, attempt: job.retryCount + 1 });
    try {
      await handlers.process(ticketId, { attempt: job.retryCount + 1, signal: job.signal });
    } catch (error) {
      const failure = coerceError(error);
      // Our own errors are complete sentences; an unexpected one is logged by its type, code and stack
      // frames only: a library's message may quote the bytes it was handling.
      const detail =
        error instanceof AirlockError ? { code: failure.code, reason: failure.message } : { code: failure.code, err: scrubbed(error) };
      const lastAttempt = job.retryCount >= job.retryLimit;
      if (job.signal.aborted) {
        // Shutdown outlasted the grace period: pg-boss has already handed the job back, and the ticket
        // resumes on another worker from the state it reached. It has not failed.
        log.warn({ code: failure.code }, 'ticket processing interrupted by shutdown; handed back to the queue');
        throw forQueue(failure);
      }
      if (isRetryable(error) && !lastAttempt) {
        log.warn(detail, 'ticket processing failed; will retry');
        throw forQueue(failure);
      }
      log.error(detail, 'ticket processing failed');
      await handlers.fail(ticketId, failure.message);
    }
  }

  async stop(): Promise<void> {
    await this.boss.stop({ graceful: true, timeout: (this.config.shutdownGraceSeconds ?? 30) * 1000 });
  }
}

/**
 * What pg-boss stores as the job's output while it waits to retry: the code and our own sentence only.
 * pg-boss serialises the error it is given, cause and stack included, into its table, and a cause from a
 * connector or library may quote the bytes it was sent.
 */
function forQueue(failure: AirlockError): Error {
  const error = new Error(`${failure.code}: ${failure.message}`);
  error.stack = undefined;
  return error;
}

/** An unexpected error as the log may show it: its type, its code and where it was thrown, never its message. */
function scrubbed(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  const frames = (error.stack ?? '')
    .split('\n')
    .filter((line) => line.trimStart().startsWith('at '))
    .slice(0, 12);
  return { type: error.name, code: (error as { code?: unknown }).code, stack: frames.join('\n') };
}
