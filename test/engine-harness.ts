import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { Check } from '../checks/check.js';
import type { Connector } from '../connectors/connector.js';
import { createConnector } from '../connectors/index.js';
import { createChecks } from '../checks/index.js';
import type { PipelineResolver, ResolvedPipeline } from '../src/engine/resolved-pipeline.js';
import { TicketProcessor } from '../src/engine/ticket-processor.js';
import { evaluatePolicy } from '../src/policy/evaluate-policy.js';
import { loadPolicy } from '../src/policy/policy-loader.js';
import { DEFAULT_LIMITS } from '../src/inspect/inspection-limits.js';
import { StagingArea } from '../src/staging/staging-area.js';
import { createTicket } from '../src/tickets/ticket-store.js';
import type { DeliveryMode } from '../src/tickets/states.js';
import type { TestStore } from './test-store.js';

const REPO = path.resolve(import.meta.dirname, '..');

export interface EngineHarness {
  dir: string;
  inbox: string;
  outbox: string;
  /** Where quarantined items are released to (with the `quarantine` option). */
  released: string;
  staging: StagingArea;
  processor: TicketProcessor;
  /** What the processor resolves every pipeline name to. */
  resolvePipeline: PipelineResolver;
  submit(mode?: DeliveryMode, selection?: { include: string[] }): Promise<string>;
  cleanup(): Promise<void>;
}

export interface HarnessOptions {
  checks?: readonly Check[];
  checkTimeoutMs?: number;
  /** Wraps the real destination connector, e.g. to inject a fault. */
  wrapDestination?: (connector: Connector) => Connector;
  /** The pipeline's `quarantine:` (days); releases go to a local folder, `released`. */
  quarantine?: { days: number };
  /** Who submits (default `alice`). */
  requester?: string;
}

/**
 * A real engine on a temporary inbox/outbox: the local connector, the default policy from
 * `policies/`, real staging, and the given checks (all of them by default).
 */
export async function createEngineHarness(store: TestStore, options: HarnessOptions = {}): Promise<EngineHarness> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-engine-'));
  const inbox = path.join(dir, 'inbox');
  const outbox = path.join(dir, 'outbox');
  await mkdir(inbox);
  await mkdir(outbox);
  const released = path.join(dir, 'released');
  await mkdir(released);
  const staging = new StagingArea(path.join(dir, 'staging'), randomBytes(32));
  const policy = await loadPolicy(path.join(REPO, 'policies'), 'default');
  const context = { baseDir: dir, resolveSecret: async () => '' };
  const resolvePipeline = async (name: string): Promise<ResolvedPipeline> => ({
    name,
    source: createConnector({ kind: 'local', root: inbox }, context),
    selector: {},
    destinationKind: 'local',
    version: 'test',
    destination: (options.wrapDestination ?? ((c) => c))(createConnector({ kind: 'local', root: outbox }, context)),
    checks: options.checks ?? createChecks(['filetype', 'patterns', 'dlp']),
    deliveryMode: 'per-item',
    policy: { name: policy.name, version: policy.version, decide: (input) => evaluatePolicy(policy, input) },
    ...(options.quarantine
      ? {
          quarantine: {
            days: options.quarantine.days,
            releaseTo: createConnector({ kind: 'local', root: released }, context),
            releaseToKind: 'local',
          },
        }
      : {}),
    close: async () => {},
  });
  const processor = new TicketProcessor({
    db: store.db,
    staging,
    resolvePipeline,
    logger: pino({ level: 'silent' }),
    checkTimeoutMs: options.checkTimeoutMs ?? 10_000,
    limits: DEFAULT_LIMITS,
    itemConcurrency: 3,
    actor: 'worker:test',
  });
  return {
    dir,
    inbox,
    outbox,
    released,
    staging,
    processor,
    resolvePipeline,
    async submit(mode = 'per-item', selection) {
      const row = await createTicket(store.db, {
        pipeline: 'test',
        requester: options.requester ?? 'alice',
        purpose: 'engine test',
        deliveryMode: mode,
        policy: 'default',
        ...(selection ? { selection } : {}),
      });
      return row.id;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** 64 bytes that start like an ELF64 executable: enough for content sniffing. */
export function tinyElf(): Buffer {
  const header = Buffer.alloc(64);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(header);
  header.writeUInt16LE(2, 16);
  header.writeUInt16LE(0x3e, 18);
  return header;
}
