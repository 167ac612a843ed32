import { GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll } from 'vitest';
import { resolveSecret } from '../../src/config/secret-ref.js';
import { startS3rver, type S3rverServer } from '../../test/servers/s3rver-server.js';
import type { Connector, ConnectorContext, ListedItem } from '../connector.js';
import { createConnector } from '../index.js';
import { S3Connector, s3ConnectorConfigSchema, type S3ClientSlice } from './index.js';

/** The connectors' root inside each test bucket. */
export const ROOT = 'root/area';
/** The secret access key the connectors are given; s3rver accepts any secret. */
export const SECRET = 's3rver-secret-never-shown';
export const MiB = 1024 * 1024;

export interface Sent {
  name: string;
  input: Record<string, unknown>;
}
export type Intercept = (name: string, input: Record<string, unknown>, send: () => Promise<unknown>) => Promise<unknown>;
export interface Recorder {
  client: S3ClientSlice;
  sent: Sent[];
  count(name: string): number;
}

/** One s3rver per test file (started in beforeAll, stopped in afterAll), with a fresh bucket per test. */
export class S3TestBed {
  #server: S3rverServer | undefined;
  #direct: S3Client | undefined;
  #buckets = 0;

  get server(): S3rverServer {
    if (this.#server === undefined) throw new Error('S3TestBed used outside its beforeAll/afterAll.');
    return this.#server;
  }

  /** A client straight to s3rver, to seed and read back without the connector. */
  get direct(): S3Client {
    if (this.#direct === undefined) throw new Error('S3TestBed used outside its beforeAll/afterAll.');
    return this.#direct;
  }

  async start(): Promise<void> {
    this.#server = await startS3rver();
    this.#direct = new S3Client(this.#server.clientConfig);
  }

  async stop(): Promise<void> {
    this.#direct?.destroy();
    await this.#server?.stop();
  }

  async newBucket(): Promise<string> {
    const bucket = `bucket-${++this.#buckets}`;
    await this.server.createBucket(bucket);
    return bucket;
  }

  /** The connector as a pipeline file builds it: through the registry, its key pair as secret references. */
  connectorFor(bucket: string, settings: Record<string, unknown> = {}, keyId: string = this.server.accessKeyId): Connector {
    const env: Record<string, string> = { S3_KEY: keyId, S3_SECRET: SECRET };
    const context: ConnectorContext = {
      baseDir: '/srv/airlock',
      resolveSecret: (ref) => resolveSecret(ref, { env, baseDir: '/srv/airlock' }),
    };
    const spec = {
      kind: 's3',
      bucket,
      prefix: ROOT,
      endpoint: this.server.endpoint,
      accessKeyId: '${env:S3_KEY}',
      secretAccessKey: '${env:S3_SECRET}',
      ...settings,
    };
    return createConnector(spec, context);
  }

  /** An S3Connector on an injected client, with fast retries (3 tries). */
  injected(bucket: string, client: S3ClientSlice, settings: Record<string, unknown> = {}): S3Connector {
    const config = s3ConnectorConfigSchema.parse({ bucket, prefix: ROOT, endpoint: this.server.endpoint, ...settings });
    const resolveSecret = (): Promise<string> => Promise.reject(new Error('an injected client needs no secret'));
    return new S3Connector({ config, client, resolveSecret, retry: { attempts: 3, baseMs: 1, maxMs: 2 } });
  }

  /** A real client behind a recorder: every command is logged by name, and `intercept` may fail or alter it. */
  recording(intercept?: Intercept, client: S3Client = this.direct): Recorder {
    const sent: Sent[] = [];
    const send = (command: { constructor: { name: string }; input: Record<string, unknown> }, options?: unknown): Promise<unknown> => {
      const name = command.constructor.name.replace(/Command$/, '');
      sent.push({ name, input: command.input });
      const forward = (): Promise<unknown> => client.send(command as never, options as never);
      return intercept === undefined ? forward() : intercept(name, command.input, forward);
    };
    return {
      // The slice's per-command overloads cannot be implemented by one forwarding function without a cast.
      client: { send, config: client.config } as unknown as S3ClientSlice,
      sent,
      count: (name) => sent.filter((s) => s.name === name).length,
    };
  }

  async seed(bucket: string, key: string, content: Buffer | string): Promise<void> {
    await this.direct.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from(content) }));
  }

  async readBack(bucket: string, key: string): Promise<Buffer | undefined> {
    try {
      const response = await this.direct.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from((await response.Body?.transformToByteArray()) ?? []);
    } catch (error) {
      if ((error as Error).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }
}

/** A test bed whose server runs for the whole test file. */
export function useS3TestBed(): S3TestBed {
  const bed = new S3TestBed();
  beforeAll(() => bed.start());
  afterAll(() => bed.stop());
  return bed;
}

export async function listPaths(connector: Connector, prefix?: string): Promise<string[]> {
  const items: ListedItem[] = [];
  for await (const item of connector.list(prefix === undefined ? {} : { prefix })) items.push(item);
  return items.map((item) => item.path);
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

export const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** Deterministic incompressible bytes. */
export function pseudoRandomBytes(length: number, seed = 0x2545f491): Buffer {
  const out = Buffer.alloc(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = state & 0xff;
  }
  return out;
}

/** An error shaped as the SDK raises it for an S3 error response. */
export function s3Error(name: string, status: number): S3ServiceException {
  const fault = status >= 500 ? 'server' : 'client';
  return new S3ServiceException({ name, $fault: fault, $metadata: { httpStatusCode: status }, message: `${name} (test)` });
}
