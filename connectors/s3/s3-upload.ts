import { AbortMultipartUploadCommand, CopyObjectCommand, DeleteObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createHash } from 'node:crypto';
import { pipeline, Readable, Transform, type TransformCallback } from 'node:stream';
import { AirlockError } from '../../src/errors.js';
import type { WriteResult } from '../connector.js';
import { withRetry, type RetryOptions } from '../retry.js';
import type { S3ClientSlice } from './s3-connector-config.js';
import { isTransientS3Error, s3Failure, type S3FailureSite } from './s3-errors.js';

/** User metadata holding the lower-case hex SHA-256 of an object Airlock wrote (`x-amz-meta-airlock-sha256`). */
export const SHA256_METADATA = 'airlock-sha256';

/** The largest object S3 copies in one CopyObject; larger multipart objects are not re-stamped (see below). */
const MAX_COPY_BYTES = 5 * 1024 ** 3;

export interface S3UploadTarget {
  client: S3ClientSlice;
  bucket: string;
  key: string;
  /** Bytes per multipart part, and the largest object sent in a single PUT. */
  partSize: number;
  /** Parts in flight at once. */
  queueSize: number;
  /** Send SHA-256 checksums for S3 to verify, and compare the whole-object one it keeps. */
  checksums: boolean;
  retry: RetryOptions;
  site: S3FailureSite;
  signal?: AbortSignal;
}

/**
 * Streams `data` to one object and checks what S3 then holds. SHA-256 and size are computed as the bytes
 * pass. An object of at most one part goes in a single PUT that already carries its hash as metadata. A
 * larger one is a multipart upload, which must start before the hash is known; once complete, it is copied
 * onto itself with the hash added (guarded by its ETag, so another writer's object is never stamped).
 * HeadObject must then show the same size and hash, or the write fails with `integrity_mismatch` and the
 * object, when it is ours, is deleted. S3 shows an object whole or not at all, so readers never see part
 * of one. Rejects with the source's own error when the source failed, with the signal's reason when
 * aborted, and otherwise with an AirlockError.
 */
export async function uploadAndVerify(data: Readable, target: S3UploadTarget): Promise<Omit<WriteResult, 'path'>> {
  const { signal } = target;
  let sourceError: unknown;
  data.once('error', (error) => (sourceError = error));
  const hasher = new HashingStream();
  // Failures of `data` destroy `hasher`, and so reach whoever reads it; the callback has nothing left to do.
  pipeline(data, hasher, () => undefined);
  let body: Readable | undefined;
  try {
    const chunks = hasher[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const head = await readUpTo(chunks, target.partSize);
    const isSinglePut = head.isEnd;
    const params = isSinglePut ? singlePutParams(hasher, target) : multipartParams(target);
    body = isSinglePut ? undefined : Readable.from(replay(head.chunks, chunks));
    const upload = new Upload({
      // lib-storage types its client as the whole S3Client; it calls `send` and reads `config`, which this has.
      client: uploadClient(target) as unknown as S3Client,
      params: { ...params, Bucket: target.bucket, Key: target.key, Body: body ?? Buffer.concat(head.chunks) },
      partSize: target.partSize,
      queueSize: target.queueSize,
      leavePartsOnError: false,
    });
    const uploaded = await upload.done();
    const written = hasher.result();
    const hasSha256Metadata = isSinglePut || written.size <= MAX_COPY_BYTES;
    let etag = uploaded.ETag;
    if (!isSinglePut && hasSha256Metadata) etag = await stamp(target, written.sha256, etag);
    await verify(target, written, { hasSha256Metadata, etag });
    return written;
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (sourceError !== undefined) throw sourceError;
    throw s3Failure(error, target.site);
  } finally {
    body?.destroy();
  }
}

/** The client lib-storage sends through: each request retried and cancelled by the write's signal. */
function uploadClient(target: S3UploadTarget): S3ClientSlice {
  const { client, signal } = target;
  const send = (command: Parameters<S3ClientSlice['send']>[0]): Promise<unknown> => {
    if (command instanceof AbortMultipartUploadCommand) {
      // Not cancelled by the signal: it is the cleanup of an aborted write. Best effort: when it fails the
      // parts stay until a bucket lifecycle rule (AbortIncompleteMultipartUpload) removes them, and the
      // write's own failure is what gets reported.
      return client.send(command).catch(() => ({}));
    }
    return retried(target, () => client.send(command as never, { abortSignal: signal }));
  };
  return { send: send as S3ClientSlice['send'], config: client.config };
}

function singlePutParams(hasher: HashingStream, target: S3UploadTarget) {
  const { sha256 } = hasher.result();
  const checksum = target.checksums ? { ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64') } : {};
  return { ContentType: 'application/octet-stream', Metadata: { [SHA256_METADATA]: sha256 }, ...checksum };
}

function multipartParams(target: S3UploadTarget) {
  const checksum = target.checksums ? { ChecksumAlgorithm: 'SHA256' as const } : {};
  return { ContentType: 'application/octet-stream', ...checksum };
}

/**
 * Copies a completed multipart object onto itself with its SHA-256 as metadata; returns the new ETag.
 * Objects over 5 GiB cannot be copied in one request and keep no `airlock-sha256`; they are verified by
 * size and ETag only (with `checksums`, S3 has verified each part).
 */
async function stamp(target: S3UploadTarget, sha256: string, etag: string | undefined): Promise<string | undefined> {
  const { client, bucket, key } = target;
  const copied = await retried(target, () =>
    client.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: key,
        CopySource: copySource(bucket, key),
        ...(etag === undefined ? {} : { CopySourceIfMatch: etag }),
        MetadataDirective: 'REPLACE',
        Metadata: { [SHA256_METADATA]: sha256 },
        ContentType: 'application/octet-stream',
        ...(target.checksums ? { ChecksumAlgorithm: 'SHA256' as const } : {}),
      }),
      { abortSignal: target.signal },
    ),
  ).catch((error: unknown) => {
    if ((error as { name?: unknown }).name !== 'PreconditionFailed') throw error;
    throw mismatch(target, 'was replaced by another writer before its hash could be recorded');
  });
  return copied.CopyObjectResult?.ETag;
}

async function verify(
  target: S3UploadTarget,
  written: Omit<WriteResult, 'path'>,
  expected: { hasSha256Metadata: boolean; etag?: string },
): Promise<void> {
  const { client, bucket, key } = target;
  const head = await retried(target, () =>
    client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ...(target.checksums ? { ChecksumMode: 'ENABLED' as const } : {}) }), {
      abortSignal: target.signal,
    }),
  );
  const storedSha256 = head.Metadata?.[SHA256_METADATA];
  const checksum = head.ChecksumSHA256;
  let problem: string | undefined;
  if (head.ContentLength !== written.size) problem = `holds ${head.ContentLength} bytes where ${written.size} were written`;
  else if (expected.hasSha256Metadata && storedSha256 !== written.sha256)
    problem = `has ${SHA256_METADATA} ${storedSha256} instead of ${written.sha256}`;
  else if (!expected.hasSha256Metadata && head.ETag !== expected.etag) problem = 'has another ETag than the upload produced';
  // A composite checksum (of the parts, `<base64>-<parts>`) cannot be compared with the whole object's hash.
  else if (checksum !== undefined && !checksum.includes('-') && checksum !== Buffer.from(written.sha256, 'hex').toString('base64')) {
    problem = 'has a SHA-256 checksum that differs from the bytes written';
  }
  if (problem === undefined) return;
  // Only our own object is removed; one another writer put there meanwhile stays.
  if (expected.etag !== undefined && head.ETag === expected.etag) {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
  }
  throw mismatch(target, problem);
}

function mismatch(target: S3UploadTarget, problem: string): AirlockError {
  const { location, path } = target.site;
  const message = `S3 connector ${location} wrote ${JSON.stringify(path)} but the object ${problem}; retry the transfer.`;
  return new AirlockError('integrity_mismatch', message, { retryable: true });
}

function retried<T>(target: S3UploadTarget, operation: () => Promise<T>): Promise<T> {
  return withRetry(operation, { ...target.retry, isRetryable: isTransientS3Error, ...(target.signal ? { signal: target.signal } : {}) });
}

/** `x-amz-copy-source`: bucket and key, URL-encoded segment by segment as S3 expects. */
export function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** Reads chunks until more than `limit` bytes have come or the stream ended. */
async function readUpTo(chunks: AsyncIterator<Buffer>, limit: number): Promise<{ chunks: Buffer[]; isEnd: boolean }> {
  const read: Buffer[] = [];
  for (let size = 0; size <= limit;) {
    const next = await chunks.next();
    if (next.done === true) return { chunks: read, isEnd: true };
    read.push(next.value);
    size += next.value.length;
  }
  return { chunks: read, isEnd: false };
}

async function* replay(head: readonly Buffer[], rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield* head;
  for (let next = await rest.next(); next.done !== true; next = await rest.next()) yield next.value;
}

/** Passes bytes through unchanged, counting them and hashing them with SHA-256. */
class HashingStream extends Transform {
  readonly #hash = createHash('sha256');
  #size = 0;
  #sha256: string | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    this.#size += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.#sha256 = this.#hash.digest('hex');
    callback();
  }

  /** Size and hash of everything that passed; only once the stream has ended. */
  result(): Omit<WriteResult, 'path'> {
    if (this.#sha256 === undefined) throw new Error('HashingStream.result() called before the stream ended.');
    return { size: this.#size, sha256: this.#sha256 };
  }
}
