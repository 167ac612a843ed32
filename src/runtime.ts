import { hkdfSync } from 'node:crypto';
import os from 'node:os';
import type { CommunicationContext } from './approvals/review-task.js';
import { systemClock, type Clock } from './clock.js';
import type { AirlockConfig } from './config/env.js';
import { openStore, storeConfigFrom, type Db, type Store } from './db/database.js';
import { sealAudit } from './audit/audit-log.js';
import { auditConfigVersion } from './audit/config-versions.js';
import { createPipelineResolver } from './engine/pipeline-resolver.js';
import type { ProgressEvent, ProgressListener } from './engine/progress.js';
import type { PipelineResolver } from './engine/resolved-pipeline.js';
import { TicketProcessor } from './engine/ticket-processor.js';
import { runScheduledOccurrence } from './jobs/scheduled-run.js';
import { reconcileSchedules, type ScheduleChange } from './jobs/schedules.js';
import { TicketQueue } from './jobs/ticket-queue.js';
import type { Logger } from './log/logger.js';
import { createStagingArea } from './staging/create-staging-area.js';
import { loadMasterKey } from './staging/master-key.js';
import type { StagingArea } from './staging/staging-area.js';

/** Everything a running Airlock process holds, wired once; the CLI and the server are shells over it. */
export interface Runtime {
  readonly config: AirlockConfig;
  readonly logger: Logger;
  readonly store: Store;
  readonly staging: StagingArea;
  readonly resolvePipeline: PipelineResolver;
  readonly processor: TicketProcessor;
  /** The job queue, when this process was started with one. */
  readonly queue: TicketQueue | undefined;
  /** Link base, clock and mail domain for everything that writes mails. */
  readonly communication: CommunicationContext;
  /** Key for the CSRF tokens of action-link pages, derived from the master key (so every worker agrees). */
  readonly linkSecret: Buffer;
  /**
   * Starts workers in this process and re-enqueues tickets left mid-way by an earlier crash. With
   * `schedules`, also makes the pipeline schedules match the files and handles their occurrences.
   */
  startWorkers(): Promise<void>;
  /** Makes pg-boss's schedules match the pipeline files again (`airlock reload`, SIGHUP). */
  reloadSchedules(): Promise<ScheduleChange[]>;
  /** Subscribes to progress of tickets processed by this process's workers. */
  onProgress(listener: ProgressListener): () => void;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** Start the pg-boss queue (needed to enqueue or work tickets). */
  queue: boolean;
  /** Fire pipeline schedules from this process (serve and worker do; a one-off `run` does not). */
  schedules?: boolean;
  /** Where secret references `${env:…}` are looked up; the process environment by default. */
  env?: NodeJS.ProcessEnv;
  /** The clock of reminders, expiry and SLAs; the system clock by default. */
  clock?: Clock;
  /** Who `reloadSchedules` names in the audit trail (the CLI user for `airlock reload`); the worker otherwise. */
  reloadActor?: string;
}

export async function createRuntime(config: AirlockConfig, logger: Logger, options: RuntimeOptions): Promise<Runtime> {
  const store = await openStore(storeConfigFrom(config));
  const masterKey = await loadMasterKey({ envValue: config.masterKey, keyFile: config.masterKeyFile, dataDir: config.dataDir });
  const staging = createStagingArea(config, masterKey);
  const actor = `worker:${os.hostname()}:${process.pid}`;
  const resolveFiles = createPipelineResolver({
    pipelinesDir: config.pipelinesDir,
    policiesDir: config.policiesDir,
    env: options.env ?? process.env,
  });
  // Every ticket's configuration, as the audit trail sees it: the pipeline and policy versions in use.
  const resolvePipeline: PipelineResolver = async (name) => {
    const resolved = await resolveFiles(name);
    try {
      await auditConfigVersion(store.db, 'pipeline', name, resolved.version, actor);
      await auditConfigVersion(store.db, 'policy', resolved.policy.name, resolved.policy.version, actor);
    } catch (error) {
      await resolved.close();
      throw error;
    }
    return resolved;
  };
  const communication: CommunicationContext = {
    publicUrl: config.publicUrl,
    clock: options.clock ?? systemClock,
    messageIdDomain: config.mail.messageIdDomain,
  };
  const processor = new TicketProcessor({
    db: store.db,
    staging,
    resolvePipeline,
    logger,
    checkTimeoutMs: config.checkTimeoutMs,
    limits: config.limits,
    itemConcurrency: config.itemConcurrency,
    actor,
    communication,
  });
  let queue: TicketQueue | undefined;
  try {
    if (options.queue) {
      const queueConfig = {
        retryLimit: config.jobRetries,
        retryDelaySeconds: config.jobRetryDelaySeconds,
        concurrency: config.workerConcurrency,
        shutdownGraceSeconds: config.shutdownGraceSeconds,
        heartbeatSeconds: config.jobHeartbeatSeconds,
        superviseSeconds: config.queueSuperviseSeconds,
      };
      queue = await TicketQueue.start(store, queueConfig, logger, {
        schedules: options.schedules ?? false,
        cronIntervalSeconds: config.scheduleCheckSeconds,
      });
    }
  } catch (error) {
    await store.close();
    throw error;
  }
  const listeners = new Set<ProgressListener>();
  const emit = (event: ProgressEvent) => listeners.forEach((listener) => listener(event));
  return {
    config,
    logger,
    store,
    staging,
    resolvePipeline,
    processor,
    queue,
    communication,
    linkSecret: Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'airlock action-link csrf', 32)),
    async startWorkers() {
      if (!queue) throw new Error('startWorkers needs a runtime created with queue: true');
      const boss = queue;
      const submitDeps = {
        db: store.db,
        pipelinesDir: config.pipelinesDir,
        enqueue: (trx: Db, ticketId: string) => boss.enqueue(ticketId, trx),
        communication,
        logger,
      };
      if (options.schedules) await reconcileSchedules(boss.boss, config.pipelinesDir, logger, { db: store.db, actor });
      await queue.work({
        process: async (ticketId, job) => {
          await processor.process(ticketId, { onProgress: emit, signal: job.signal });
        },
        fail: (ticketId, reason) => processor.fail(ticketId, reason),
        ...(options.schedules ? { scheduled: async (job) => void (await runScheduledOccurrence(submitDeps, job)) } : {}),
      });
      const resumed = await queue.resumeStranded(store.db);
      if (resumed > 0) logger.info({ tickets: resumed }, 'resumed tickets left active by an earlier run');
    },
    async reloadSchedules() {
      if (!queue) throw new Error('reloadSchedules needs a runtime created with queue: true');
      return reconcileSchedules(queue.boss, config.pipelinesDir, logger, { db: store.db, actor: options.reloadActor ?? actor });
    },
    onProgress(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      await queue?.stop();
      // What this process recorded joins the chain before it goes (best effort: the next process seals it too).
      await sealAudit(store.db).catch((error: unknown) => logger.warn({ err: error }, 'audit records left unsealed'));
      await store.close();
    },
  };
}
