import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway S3 server (s3rver, in this process) on 127.0.0.1 for connector tests and benchmarks: a random
 * free port, a fresh temp folder for its data, silent logging. It accepts the fixed key pair S3RVER/S3RVER.
 *
 * What s3rver 3.7 does not do as S3 does, and what this harness changes (the changes are marked SHIM below):
 * - It lists keys in folder-walk order (`a/x.txt` before `a.txt`); S3 lists in UTF-8 byte order.
 *   SHIM: listings without a delimiter are sorted by key bytes.
 * - Its ListObjectsV2 continuation tokens use DES, which Node 17+ (OpenSSL 3) refuses, so any listing past
 *   one page fails with InternalError. SHIM: v2 listings are served by its v1 (marker) code path, with the
 *   next key as a plain base64 token.
 * - It answers AbortMultipartUpload with 405 MethodNotAllowed and leaves the parts on disk.
 *   SHIM: abort deletes the upload's folder (`incompleteUploads` shows what is left).
 * - Left as they are: no ListMultipartUploads (501 NotImplemented); SigV4 signatures are not checked (only
 *   the access key id is: a wrong secret is accepted); `x-amz-checksum-*` headers are ignored (neither
 *   verified nor stored, so HeadObject returns no checksum); conditional requests (`If-None-Match` on PUT,
 *   `If-Match` on GET, `x-amz-copy-source-if-match`) are ignored; a streaming body sent with the SDK's
 *   default `aws-chunked` checksum encoding is stored with its chunk framing, so clients must use
 *   `requestChecksumCalculation: 'WHEN_REQUIRED'` (as `clientConfig` does) or send buffers.
 */
export interface S3rverServer {
  /** `http://127.0.0.1:<port>`; use path-style addressing. */
  endpoint: string;
  region: string;
  accessKeyId: 'S3RVER';
  secretAccessKey: 'S3RVER';
  /** Settings for `new S3Client(...)` reaching this server. */
  clientConfig: S3rverClientConfig;
  /** s3rver's data folder: `<dir>/<bucket>/<key>._S3rver_object` and friends. */
  dir: string;
  createBucket(name: string): Promise<void>;
  /** Ids of multipart uploads in `bucket` that were neither completed nor aborted. */
  incompleteUploads(bucket: string): Promise<string[]>;
  /** Stops the server, dropping open connections, and removes its data folder. */
  stop(): Promise<void>;
}

export interface S3rverClientConfig {
  endpoint: string;
  region: string;
  forcePathStyle: true;
  credentials: { accessKeyId: string; secretAccessKey: string };
  requestChecksumCalculation: 'WHEN_REQUIRED';
  responseChecksumValidation: 'WHEN_REQUIRED';
}

export interface S3rverOptions {
  /** Buckets to create before the server starts. */
  buckets?: readonly string[];
}

// s3rver is CommonJS without types; the parts used here are declared at the end of this file.
const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => S3rverInstance;
const S3Object = require('s3rver/lib/models/object') as new (bucket: string, key: string, content: null, metadata: object) => object;
const S3Error = require('s3rver/lib/models/error') as new (code: string, message: string, detail?: object) => Error;

const REGION = 'us-east-1';
const OBJECT_SUFFIX = '._S3rver_object';
const UPLOADS = '._S3rver_uploads';

export async function startS3rver(options: S3rverOptions = {}): Promise<S3rverServer> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-s3rver-'));
  const instance = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: dir,
    vhostBuckets: false,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name, configs: [] })),
  });
  const store = instance.store;
  const listObjects = store.listObjects.bind(store);
  store.listObjects = (bucket, listOptions) =>
    listOptions.delimiter ? listObjects(bucket, listOptions) : listSorted(store, bucket, listOptions);
  // Before the router (the last middleware), after the one that turns object bodies into XML.
  instance.middleware.splice(instance.middleware.length - 1, 0, listV2ThroughV1, abortMultipartUpload(store));
  let port: number;
  try {
    ({ port } = await instance.run());
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
  return {
    endpoint,
    region: REGION,
    ...credentials,
    clientConfig: {
      endpoint,
      region: REGION,
      forcePathStyle: true,
      credentials: { ...credentials },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    },
    dir,
    createBucket: async (name) => {
      await store.putBucket(name);
    },
    incompleteUploads: (bucket) => readdir(join(store.getBucketPath(bucket), UPLOADS)).catch(() => []),
    stop: async () => {
      const closed = instance.close();
      instance.httpServer?.closeAllConnections();
      await closed;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** SHIM: a listing in S3's order (UTF-8 bytes of the key), with `startAfter` compared the same way. */
async function listSorted(store: S3rverStore, bucket: string, options: S3rverListOptions): Promise<S3rverListResult> {
  const { prefix = '', startAfter = '', maxKeys = Infinity } = options;
  const files = await readdir(store.getBucketPath(bucket), { recursive: true });
  const after = Buffer.from(startAfter);
  const keys = files
    .filter((file) => file.endsWith(OBJECT_SUFFIX) && !file.startsWith(`${UPLOADS}/`))
    .map((file) => file.slice(0, -OBJECT_SUFFIX.length))
    .filter((key) => key.startsWith(prefix) && Buffer.compare(Buffer.from(key), after) > 0)
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const page = keys.slice(0, maxKeys);
  const objects = await Promise.all(
    page.map(async (key) => {
      const metadata = await store.getMetadata(bucket, key).catch(() => undefined); // deleted meanwhile
      return metadata && new S3Object(bucket, key, null, metadata);
    }),
  );
  return { objects: objects.filter((object) => object !== undefined), commonPrefixes: [], isTruncated: keys.length > page.length };
}

/** SHIM: ListObjectsV2 (`GET /<bucket>?list-type=2`) answered by s3rver's v1 code, with a token it can make. */
async function listV2ThroughV1(ctx: KoaContext, next: () => Promise<void>): Promise<void> {
  const isBucketPath = ctx.path.split('/').filter(Boolean).length === 1;
  if (ctx.method !== 'GET' || !isBucketPath || ctx.query['list-type'] !== '2') return next();
  const { 'continuation-token': token, 'start-after': startAfter, ...rest } = ctx.query;
  delete rest['list-type'];
  const marker = typeof token === 'string' ? Buffer.from(token, 'base64url').toString('utf8') : startAfter;
  ctx.query = marker === undefined ? rest : { ...rest, marker };
  await next();
  const result = (ctx.body as { ListBucketResult?: Record<string, unknown> } | undefined)?.ListBucketResult;
  if (result === undefined) return;
  const contents = result.Contents as { Key: string }[];
  const last = contents.at(-1);
  delete result.Marker;
  result.KeyCount = contents.length;
  if (token !== undefined) result.ContinuationToken = token;
  if (result.IsTruncated === true && last !== undefined) result.NextContinuationToken = Buffer.from(last.Key).toString('base64url');
}

/** SHIM: AbortMultipartUpload (`DELETE /<bucket>/<key>?uploadId=…`) removes the upload and its parts. */
function abortMultipartUpload(store: S3rverStore) {
  return async function abortMultipartUpload(ctx: KoaContext, next: () => Promise<void>): Promise<void> {
    const [bucket, ...keyParts] = ctx.path.split('/').slice(1).map(decodeURIComponent);
    const uploadId = ctx.query.uploadId;
    if (ctx.method !== 'DELETE' || typeof uploadId !== 'string' || bucket === undefined || keyParts.length === 0) return next();
    const uploadDir = join(store.getBucketPath(bucket), UPLOADS, uploadId);
    const key = /^[0-9a-f]+$/.test(uploadId) ? await readFile(join(uploadDir, 'key'), 'utf8').catch(() => undefined) : undefined;
    if (key !== keyParts.join('/')) {
      throw new S3Error('NoSuchUpload', 'The specified upload does not exist.', { UploadId: uploadId });
    }
    await rm(uploadDir, { recursive: true, force: true });
    ctx.status = 204;
  };
}

interface S3rverStore {
  getBucketPath(bucket: string): string;
  getMetadata(bucket: string, key: string): Promise<Record<string, unknown>>;
  putBucket(bucket: string): Promise<unknown>;
  listObjects(bucket: string, options: S3rverListOptions): Promise<S3rverListResult>;
}
interface S3rverListOptions {
  delimiter?: string;
  prefix?: string;
  startAfter?: string;
  maxKeys?: number;
}
interface S3rverListResult {
  objects: unknown[];
  commonPrefixes: string[];
  isTruncated: boolean;
}
interface KoaContext {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  status: number;
  body: unknown;
}
type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;
interface S3rverInstance {
  store: S3rverStore;
  middleware: KoaMiddleware[];
  httpServer?: Server;
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
