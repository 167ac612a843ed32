// A whole transfer between two real servers: vendor A's bucket on s3rver to vendor B's folder on OpenSSH
// sshd, through encrypted staging, all checks and the default policy. Both servers run on 127.0.0.1.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChecks } from '../checks/index.js';
import { createConnector } from '../connectors/index.js';
import type { ResolvedPipeline } from '../src/engine/resolved-pipeline.js';
import { TicketProcessor } from '../src/engine/ticket-processor.js';
import { DEFAULT_LIMITS } from '../src/inspect/inspection-limits.js';
import { evaluatePolicy } from '../src/policy/evaluate-policy.js';
import { loadPolicy } from '../src/policy/policy-loader.js';
import { StagingArea } from '../src/staging/staging-area.js';
import { listItems } from '../src/tickets/item-store.js';
import { createTicket, getTicketRow } from '../src/tickets/ticket-store.js';
import { REPO_ROOT } from './run-cli.js';
import { startS3rver, type S3rverServer } from './servers/s3rver-server.js';
import { startSshd, type SshdServer } from './servers/sshd-server.js';
import { backendName, createTestStore, type TestStore } from './test-store.js';

const BUCKET = 'vendor-a-exports';
const CARD = '4539148803436467';
let s3: S3rverServer;
let sshd: SshdServer;
let store: TestStore;
let client: S3Client;
let scratch: string;

beforeAll(async () => {
  [s3, sshd, store] = await Promise.all([startS3rver({ buckets: [BUCKET] }), startSshd(), createTestStore()]);
  client = new S3Client(s3.clientConfig);
  scratch = await mkdtemp(path.join(os.tmpdir(), 'airlock-transfer-'));
}, 60_000);
afterAll(async () => {
  client?.destroy();
  await Promise.all([s3?.stop(), sshd?.stop(), store?.close()]);
  await rm(scratch, { recursive: true, force: true });
});

async function put(key: string, body: Buffer | string) {
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

async function exists(key: string): Promise<boolean> {
  return client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key })).then(
    async (r) => {
      await r.Body?.transformToByteArray();
      return true;
    },
    () => false,
  );
}

async function processor(prefix: string, destinationFolder: string) {
  const policy = await loadPolicy(path.join(REPO_ROOT, 'policies'), 'default');
  const context = {
    baseDir: scratch,
    resolveSecret: async (ref: string) => (ref.includes('SECRET') ? s3.secretAccessKey : s3.accessKeyId),
  };
  const resolvePipeline = async (name: string): Promise<ResolvedPipeline> => ({
    name,
    source: createConnector(
      {
        kind: 's3',
        bucket: BUCKET,
        prefix,
        endpoint: s3.endpoint,
        region: s3.region,
        accessKeyId: '${env:VENDOR_A_KEY_ID}',
        secretAccessKey: '${env:VENDOR_A_SECRET}',
        after: 'move:archive',
      },
      context,
    ),
    selector: {},
    destination: createConnector(
      {
        kind: 'sftp',
        host: sshd.host,
        port: sshd.port,
        username: sshd.username,
        root: destinationFolder,
        privateKey: sshd.privateKeyPath,
        hostKey: sshd.hostKeyFingerprint,
      },
      context,
    ),
    destinationKind: 'sftp',
    version: 'test',
    checks: createChecks(['filetype', 'patterns', 'dlp']),
    deliveryMode: 'per-item',
    policy: { name: policy.name, version: policy.version, decide: (input) => evaluatePolicy(policy, input) },
    close: async () => {},
  });
  return new TicketProcessor({
    db: store.db,
    staging: new StagingArea(path.join(scratch, 'staging'), randomBytes(32)),
    resolvePipeline,
    logger: pino({ level: 'silent' }),
    checkTimeoutMs: 30_000,
    limits: DEFAULT_LIMITS,
    itemConcurrency: 3,
    actor: 'worker:test',
  });
}

describe(`S3 to SFTP transfer (${backendName} store)`, () => {
  it('delivers clean files byte for byte, blocks an executable, holds a card number for review, and archives only what was delivered', async () => {
    const big = randomBytes(12 * 1024 * 1024)
      .toString('base64')
      .replace(/[0-9]/g, 'x');
    const elf = Buffer.alloc(64);
    Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(elf);
    await put('daily/report.csv', 'region,orders\nNorth,412\nSouth,233\n');
    await put('daily/nested/big.txt', big);
    await put('daily/tool.bin', elf);
    const destination = path.join(sshd.root, 'inbound-1');
    await mkdir(destination);

    const ticket = await createTicket(store.db, {
      pipeline: 'vendor-a-to-b',
      requester: 'scheduler',
      purpose: 'nightly',
      deliveryMode: 'per-item',
      policy: 'default',
    });
    const settled = await (await processor('daily', destination)).process(ticket.id);
    expect(settled.state, JSON.stringify({ reason: settled.failure_reason, items: await listItems(store.db, ticket.id) })).toBe(
      'partially_delivered',
    );

    expect(await readFile(path.join(destination, 'report.csv'), 'utf8')).toBe('region,orders\nNorth,412\nSouth,233\n');
    expect((await readFile(path.join(destination, 'nested', 'big.txt'))).equals(Buffer.from(big))).toBe(true);
    expect((await readdir(destination)).sort()).toEqual(['nested', 'report.csv']);
    expect(await readdir(path.join(destination, 'nested'))).toEqual(['big.txt']);

    const items = await listItems(store.db, ticket.id);
    expect(items.map((i) => [i.source_path, i.state])).toEqual([
      ['nested/big.txt', 'delivered'],
      ['report.csv', 'delivered'],
      ['tool.bin', 'blocked'],
    ]);
    // `after: move:archive` ran for the delivered files only, once their delivery was verified.
    expect(await exists('daily/archive/report.csv')).toBe(true);
    expect(await exists('daily/report.csv')).toBe(false);
    expect(await exists('daily/tool.bin')).toBe(true);
    expect((await getTicketRow(store.db, ticket.id)).progress).toMatchObject({ phase: 'deliver', filesDone: 2, filesTotal: 2 });
  }, 120_000);

  it('holds a file with a card number for approval and delivers nothing yet', async () => {
    await put('review/payments.csv', `name,card\nalice,${CARD}\n`);
    const destination = path.join(sshd.root, 'inbound-2');
    const ticket = await createTicket(store.db, {
      pipeline: 'vendor-a-to-b',
      requester: 'scheduler',
      purpose: 'nightly',
      deliveryMode: 'per-item',
      policy: 'default',
    });
    expect((await (await processor('review', destination)).process(ticket.id)).state).toBe('awaiting_approval');
    await expect(readdir(destination)).rejects.toMatchObject({ code: 'ENOENT' });
  }, 60_000);
});
