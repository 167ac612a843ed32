import type {
  AbortMultipartUploadCommand,
  AbortMultipartUploadCommandOutput,
  CompleteMultipartUploadCommand,
  CompleteMultipartUploadCommandOutput,
  CopyObjectCommand,
  CopyObjectCommandOutput,
  CreateMultipartUploadCommand,
  CreateMultipartUploadCommandOutput,
  DeleteObjectCommand,
  DeleteObjectCommandOutput,
  GetObjectCommand,
  GetObjectCommandOutput,
  HeadObjectCommand,
  HeadObjectCommandOutput,
  ListObjectsV2Command,
  ListObjectsV2CommandOutput,
  PutObjectCommand,
  PutObjectCommandOutput,
  S3Client,
  UploadPartCommand,
  UploadPartCommandOutput,
} from '@aws-sdk/client-s3';
import { z } from 'zod';
import { secretRef } from '../../src/config/secret-ref.js';

/**
 * Settings of an `s3` connector, as written in a pipeline file. Unknown keys are rejected so a misspelt
 * setting fails at load instead of being ignored.
 */

/** A key prefix written as folders: `/` at either end is dropped; empty, `.` and `..` segments are refused. */
const keyPrefix = z
  .string()
  .transform((value) => value.replace(/^\/+|\/+$/g, ''))
  .refine((value) => value !== '', 'must name a folder, e.g. inbox/partner-a')
  .refine((value) => !value.includes('\0') && !value.includes('\\'), 'must not contain a NUL byte or a backslash')
  .refine((value) => value.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..'), {
    error: 'must not contain empty, "." or ".." segments',
  });

/**
 * What `afterDelivered` does with a source object: `keep` it, `delete` it, or `move:<prefix>` it to
 * `<prefix>/<path>`, the prefix being relative to the connector's `prefix` like every path (as the SFTP
 * connector's `move:<folder>`). Objects under the move prefix are not listed again.
 */
const afterSetting = z.union([
  z.literal('keep').transform(() => ({ action: 'keep' }) as const),
  z.literal('delete').transform(() => ({ action: 'delete' }) as const),
  z
    .string()
    .regex(/^move:./, 'must be keep, delete or move:<prefix>')
    .transform((value) => value.slice('move:'.length))
    .pipe(keyPrefix)
    .transform((prefix) => ({ action: 'move', prefix }) as const),
]);

export const s3ConnectorConfigSchema = z
  .strictObject({
    bucket: z
      .string()
      .min(1, 'must name a bucket')
      .refine((bucket) => !/[/\\\0\s]/.test(bucket), 'must be a bare bucket name, without "/" or spaces'),
    /** The connector's root inside the bucket; every path is relative to it. Absent: the whole bucket. */
    prefix: keyPrefix.optional(),
    /** An S3-compatible service (MinIO, Ceph, s3rver) instead of AWS. */
    endpoint: z
      .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
      .refine((url) => new URL(url).username === '' && new URL(url).password === '', {
        error: 'must not hold credentials; use accessKeyId and secretAccessKey',
      })
      .optional(),
    region: z.string().min(1).default('us-east-1'),
    /** Bucket in the path instead of the host name; defaults to true when `endpoint` is set. */
    forcePathStyle: z.boolean().optional(),
    /** Both or neither; with neither the SDK's default credential chain (environment, profile, instance role) is used. */
    accessKeyId: secretRef().optional(),
    secretAccessKey: secretRef().optional(),
    after: afterSetting.default({ action: 'keep' }),
    /** Size of each part of a multipart upload, and the largest object sent in one PUT. S3's minimum is 5 MiB. */
    partSizeMb: z
      .number()
      .int()
      .min(5)
      .max(5 * 1024)
      .default(16),
    /** Parts uploaded at once per write; memory held is about `concurrency * partSizeMb`. */
    concurrency: z.number().int().min(1).max(32).default(4),
    /**
     * Ask S3 to verify SHA-256 checksums of what it receives and to keep a whole-object SHA-256, compared
     * with Airlock's own after each write. Off by default: s3rver (the test server) ignores checksum headers,
     * so the suite cannot prove this path against a server, and several S3-compatible stores reject the
     * SDK's checksum headers. Without it the SDK sends no optional checksums, and a write is verified by its
     * size and by the `airlock-sha256` metadata Airlock writes and reads back. Turn it on for AWS S3.
     */
    checksums: z.boolean().default(false),
  })
  .superRefine((config, context) => {
    const missing = config.accessKeyId === undefined ? 'accessKeyId' : 'secretAccessKey';
    if ((config.accessKeyId === undefined) !== (config.secretAccessKey === undefined)) {
      context.addIssue({
        code: 'custom',
        path: [missing],
        message: 'must be set together with the other half of the key pair, or both left out to use the default credential chain',
      });
    }
  })
  .transform((config) => ({ ...config, forcePathStyle: config.forcePathStyle ?? config.endpoint !== undefined }));

export type S3ConnectorConfig = z.infer<typeof s3ConnectorConfigSchema>;
export type S3AfterDelivered = S3ConnectorConfig['after'];

/**
 * The part of the AWS SDK client this connector uses: the commands it sends, nothing else. An SDK upgrade
 * that changes them touches this declaration; tests inject a wrapper around a real client to count or fail
 * calls. The multipart commands are sent by `@aws-sdk/lib-storage`'s `Upload`, which also reads the
 * client's resolved `config` (checksum mode, endpoint, path style).
 */
export interface S3ClientSlice {
  send(command: ListObjectsV2Command, options?: S3SendOptions): Promise<ListObjectsV2CommandOutput>;
  send(command: GetObjectCommand, options?: S3SendOptions): Promise<GetObjectCommandOutput>;
  send(command: HeadObjectCommand, options?: S3SendOptions): Promise<HeadObjectCommandOutput>;
  send(command: CopyObjectCommand, options?: S3SendOptions): Promise<CopyObjectCommandOutput>;
  send(command: DeleteObjectCommand, options?: S3SendOptions): Promise<DeleteObjectCommandOutput>;
  send(command: PutObjectCommand, options?: S3SendOptions): Promise<PutObjectCommandOutput>;
  send(command: CreateMultipartUploadCommand, options?: S3SendOptions): Promise<CreateMultipartUploadCommandOutput>;
  send(command: UploadPartCommand, options?: S3SendOptions): Promise<UploadPartCommandOutput>;
  send(command: CompleteMultipartUploadCommand, options?: S3SendOptions): Promise<CompleteMultipartUploadCommandOutput>;
  send(command: AbortMultipartUploadCommand, options?: S3SendOptions): Promise<AbortMultipartUploadCommandOutput>;
  readonly config: S3Client['config'];
}

export interface S3SendOptions {
  /** Cancels the request in flight. */
  abortSignal?: AbortSignal | undefined;
}
