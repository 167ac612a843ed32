import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { RandomAccessSource } from './encrypted-file-reader.js';
import { isStagedTicketId, KEY_NAME, privateScratchDir, ticketDirsUnder, type StagingStore } from './staging-store.js';
import type { S3StagingLocation } from './staging-location.js';
import type { KeySlot } from './ticket-keys.js';

/** Bytes per multipart part (and the largest body sent in one PUT); parts in flight per upload. */
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 4;
/** DeleteObjects takes at most this many keys. */
const DELETE_BATCH = 1000;
/** ListObjectsV2 returns at most this many keys and common prefixes per page (also its default). */
const LIST_PAGE = 1000;

export interface S3StagingStoreOptions extends S3StagingLocation {
  /** Local folder for per-ticket private scratch folders (created 0700). */
  scratchRoot: string;
  /** SDK client settings; by default `s3ClientConfigFromEnv()`. */
  clientConfig?: S3ClientConfig;
  /** `MaxKeys` of the listing of staged tickets; S3's maximum (1000) by default, smaller in tests to force pages. */
  listPageSize?: number;
}

/**
 * The SDK's default credential chain (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, profiles, instance roles…);
 * region from `AWS_REGION`/`AWS_DEFAULT_REGION` (else us-east-1); endpoint from `AWS_ENDPOINT_URL_S3` or
 * `AWS_ENDPOINT_URL`, with path-style addressing when one is set (MinIO and other S3-compatible stores).
 * Optional checksums are off: S3-compatible stores differ there, and every chunk is authenticated anyway.
 */
export function s3ClientConfigFromEnv(env: NodeJS.ProcessEnv = process.env): S3ClientConfig {
  const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  return {
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

/**
 * Staging in an S3 bucket, shared by several machines: items at `<prefix>/<ticketId>/<itemId>`, the wrapped
 * ticket key at `<prefix>/<ticketId>/key`. Objects are written by streaming (multipart above one part) and
 * appear whole or not at all. Plaintext never goes to the bucket; local scratch files live under
 * `scratchRoot/<ticketId>` (0700) on the machine that made them.
 */
export class S3StagingStore implements StagingStore {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  readonly scratchRoot: string;
  readonly #listPageSize: number;

  constructor(options: S3StagingStoreOptions) {
    this.bucket = options.bucket;
    this.prefix = options.prefix.replace(/^\/+|\/+$/g, '');
    this.scratchRoot = options.scratchRoot;
    this.#listPageSize = options.listPageSize ?? LIST_PAGE;
    this.client = new S3Client(options.clientConfig ?? s3ClientConfigFromEnv());
  }

  get location(): string {
    return `s3://${this.bucket}/${this.prefix}`;
  }

  /** `<prefix>/<ticketId>/` */
  ticketPrefix(ticketId: string): string {
    return this.prefix === '' ? `${ticketId}/` : `${this.prefix}/${ticketId}/`;
  }

  itemKey(ticketId: string, itemId: string): string {
    return `${this.ticketPrefix(ticketId)}${itemId}`;
  }

  async putItem(ticketId: string, itemId: string, body: Readable, signal?: AbortSignal): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.itemKey(ticketId, itemId), Body: body },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
      leavePartsOnError: false,
    });
    const abort = () => void upload.abort().catch(() => undefined);
    signal?.addEventListener('abort', abort, { once: true });
    try {
      await upload.done();
    } finally {
      signal?.removeEventListener('abort', abort);
    }
  }

  async getItem(ticketId: string, itemId: string): Promise<Readable> {
    const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.itemKey(ticketId, itemId) }));
    return out.Body as Readable;
  }

  async openItemRange(ticketId: string, itemId: string): Promise<RandomAccessSource> {
    const Key = this.itemKey(ticketId, itemId);
    const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
    const size = head.ContentLength ?? 0;
    // Pin the version read: a concurrent re-stage then fails the reads instead of mixing two objects
    // (which chunk authentication would refuse anyway).
    const IfMatch = head.ETag;
    return {
      size: async () => size,
      read: async (position, length) => {
        const end = Math.min(position + length, size);
        if (end <= position) return Buffer.alloc(0);
        const out = await this.client.send(
          new GetObjectCommand({ Bucket: this.bucket, Key, Range: `bytes=${position}-${end - 1}`, IfMatch }),
        );
        return Buffer.from(await out.Body!.transformToByteArray());
      },
      close: async () => undefined,
    };
  }

  async hasItem(ticketId: string, itemId: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.itemKey(ticketId, itemId) }));
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  async removeItem(ticketId: string, itemId: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.itemKey(ticketId, itemId) }));
  }

  async removeTicket(ticketId: string): Promise<void> {
    const Prefix = this.ticketPrefix(ticketId);
    // Deleting while listing shifts pages; list from the start again until nothing is left.
    for (;;) {
      const listed = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix, MaxKeys: DELETE_BATCH }));
      const keys = (listed.Contents ?? []).flatMap((object) => (object.Key === undefined ? [] : [{ Key: object.Key }]));
      if (keys.length === 0) break;
      const deleted = await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys, Quiet: true } }));
      const failed = deleted.Errors ?? [];
      if (failed.length > 0) {
        throw new Error(`Could not delete ${failed.length} staged object(s) of ticket ${ticketId}: ${failed[0]?.Code ?? 'unknown'}.`);
      }
    }
    await rm(path.join(this.scratchRoot, ticketId), { recursive: true, force: true });
  }

  keySlot(ticketId: string): KeySlot {
    const Key = `${this.ticketPrefix(ticketId)}${KEY_NAME}`;
    return {
      read: async () => {
        try {
          const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
          return Buffer.from(await out.Body!.transformToByteArray());
        } catch (error) {
          if (isMissing(error)) return undefined;
          throw error;
        }
      },
      createExclusive: async (data) => {
        try {
          // If-None-Match: two machines creating the same ticket's key at once: one wins, the other reads it.
          await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: data, IfNoneMatch: '*' }));
          return true;
        } catch (error) {
          if (statusOf(error) === 412 || statusOf(error) === 409) return false;
          throw error;
        }
      },
    };
  }

  scratchDir(ticketId: string): string {
    return privateScratchDir(this.scratchRoot, ticketId);
  }

  /**
   * This machine's scratch folders first (a crash can leave decrypted copies there, and a ticket may have
   * nothing else left), then the bucket's `<prefix>/<ticketId>/` folders, one ListObjectsV2 page (Delimiter
   * `/`) at a time. Continuation tokens are positions in key order, so purging tickets already listed does
   * not disturb the pages still to come. Other machines' scratch folders are theirs to sweep.
   *
   * Not seen here: multipart uploads a killed worker never completed nor aborted. They are not objects (no
   * listing shows them); a bucket lifecycle rule `AbortIncompleteMultipartUpload` is what removes them.
   */
  async *listTickets(): AsyncIterable<string> {
    const local = await ticketDirsUnder(this.scratchRoot);
    yield* local;
    const seen = new Set(local);
    const Prefix = this.prefix === '' ? '' : `${this.prefix}/`;
    let ContinuationToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix, Delimiter: '/', MaxKeys: this.#listPageSize, ContinuationToken }),
      );
      for (const common of page.CommonPrefixes ?? []) {
        const id = common.Prefix?.slice(Prefix.length, -1);
        if (id !== undefined && isStagedTicketId(id) && !seen.has(id)) yield id;
      }
      ContinuationToken = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (ContinuationToken !== undefined);
  }
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function isMissing(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || statusOf(error) === 404;
}
