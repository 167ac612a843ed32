import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { z } from 'zod';
import { isSecretRef, secretRef } from '../../src/config/secret-ref.js';

/** `SHA256:` and the unpadded base64 of a SHA-256 digest, as `ssh-keygen -l -E sha256` prints it. */
const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

/**
 * Turns host-key checking off. Anyone on the network path can then impersonate the server and receive
 * the data and the credentials; it exists for throwaway test setups only and must be spelt exactly.
 */
export const INSECURE_ACCEPT_ANY_HOST_KEY = 'insecure-accept-any';

const HOST_KEY_MESSAGE =
  'must be the server\'s host key fingerprint "SHA256:<base64>", as `ssh-keygen -lf <host key>.pub` prints it; get it from the server\'s administrator';

/** A remote folder path: no NUL, no backslash, no `..` segment. */
const remoteDir = z
  .string()
  .min(1, 'must name a folder')
  .refine((value) => !value.includes('\0') && !value.includes('\\'), 'must not contain a NUL byte or a backslash')
  .refine((value) => !value.split('/').includes('..'), 'must not contain a ".." segment');

/**
 * Where the private key is: a literal file path (relative ones are taken from the pipeline's project root)
 * or a `${file:…}` reference. A pasted key, or an `${env:…}` reference, is refused.
 */
const privateKeyPath = z
  .string()
  .min(1, 'must name a key file')
  .refine(
    (value) => !value.includes('-----BEGIN') && !/[\r\n\0]/.test(value),
    'must be a path to the key file or a ${file:…} reference, not the key itself',
  )
  .refine(
    (value) => !value.startsWith('${') || (isSecretRef(value) && value.startsWith('${file:')),
    'must be a file path or a ${file:…} reference',
  );

/** What `afterDelivered` does with a source file: `keep`, `delete`, or `move:<folder relative to root>`. */
const afterSetting = z.string().transform((value, ctx) => {
  if (value === 'keep') return { action: 'keep' } as const;
  if (value === 'delete') return { action: 'delete' } as const;
  const dir = value.startsWith('move:') ? value.slice('move:'.length).replace(/\/+$/, '') : undefined;
  const problem = dir === undefined ? 'must be keep, delete or move:<folder>' : moveFolderProblem(dir);
  if (problem === undefined && dir !== undefined) return { action: 'move', dir } as const;
  ctx.addIssue({ code: 'custom', message: problem ?? 'is invalid' });
  return z.NEVER;
});

function moveFolderProblem(dir: string): string | undefined {
  const segments = dir.split('/');
  if (dir.startsWith('/')) return 'move: must name a folder relative to the root';
  if (/[\0\\]/.test(dir) || segments.includes('..')) return 'move: must not contain "..", a NUL byte or a backslash';
  if (segments.every((segment) => segment === '' || segment === '.')) return 'move: must name a folder, not the root';
  return undefined;
}

/**
 * Settings of an `sftp` connector, as written in a pipeline file. Exactly one of `privateKey` and `password`
 * authenticates; `hostKey` pins the server's key so a changed or spoofed server is refused. Unknown keys are
 * rejected so a misspelt setting fails at load.
 */
export const sftpConnectorConfigSchema = z
  .strictObject({
    host: z
      .string()
      .min(1, 'must name the server')
      .refine((value) => !/[\s/@]/.test(value), 'must be a host name or address, without user, port or path'),
    port: z.number().int().min(1).max(65_535).default(22),
    username: z
      .string()
      .min(1, 'must name the SSH user')
      .refine((value) => !/[\s@:/]/.test(value), 'must not contain spaces, @, : or /'),
    /** Absolute remote folder the connector works under. */
    root: remoteDir.refine((value) => value.startsWith('/'), 'must be an absolute remote path'),
    privateKey: privateKeyPath.optional(),
    /** Passphrase of an encrypted `privateKey`. */
    passphrase: secretRef().optional(),
    password: secretRef().optional(),
    hostKey: z
      .string({ error: HOST_KEY_MESSAGE })
      .refine((value) => value === INSECURE_ACCEPT_ANY_HOST_KEY || FINGERPRINT.test(value), HOST_KEY_MESSAGE),
    after: afterSetting.default({ action: 'keep' }),
    /** SFTP requests kept in flight per transfer stream; more hides latency on distant servers. */
    concurrency: z.number().int().min(1).max(64).default(16),
    /** TCP connect plus SSH handshake and authentication. */
    connectTimeoutMs: z.number().int().min(100).default(20_000),
    /** Keepalive probe interval; a connection missing three in a row is treated as dropped. */
    keepaliveIntervalMs: z.number().int().min(100).default(10_000),
  })
  .superRefine(({ privateKey, password, passphrase }, ctx) => {
    if ((privateKey === undefined) === (password === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['privateKey'], message: 'set exactly one of privateKey and password' });
    }
    if (passphrase !== undefined && privateKey === undefined) {
      ctx.addIssue({ code: 'custom', path: ['passphrase'], message: 'is only used with privateKey' });
    }
  });

export type SftpConnectorConfig = z.infer<typeof sftpConnectorConfigSchema>;
export type AfterDelivered = SftpConnectorConfig['after'];

/**
 * The slice of `ssh2-sftp-client` the connector uses, so an upgrade touches this declaration only.
 * Paths are remote and absolute. Failures are `Error`s whose `code` is an SFTP status number, an OS code
 * (`ECONNRESET`) or one of the library's own (`ENOENT`, `ERR_NOT_CONNECTED`); `sftp-errors.ts` reads them.
 */
export interface SftpClient {
  /** Resolves with the SFTP channel, used directly for parallel reads. */
  connect(options: SftpConnectOptions): Promise<SftpChannel>;
  /** Ends the connection; resolves once it is closed. */
  end(): Promise<unknown>;
  /** Events of the underlying SSH connection; `close` fires once however the connection ends. */
  on(event: 'close' | 'end' | 'error', listener: (...args: unknown[]) => void): void;
  /** Absolute canonical path, following links; '' when the path does not exist. */
  realPath(path: string): Promise<string>;
  /** Type of what is at `path` without following a link ('d', '-', 'l'), or false when nothing is. */
  exists(path: string): Promise<false | 'd' | '-' | 'l'>;
  stat(path: string): Promise<{ size: number; isFile: boolean; isDirectory: boolean }>;
  /** A folder's entries, `type` from lstat: 'd', '-' or 'l' ('.' and '..' are left out). */
  list(path: string): Promise<{ type: string; name: string; size: number; modifyTime: number }[]>;
  mkdir(path: string, recursive?: boolean): Promise<unknown>;
  delete(path: string, notFoundOk?: boolean): Promise<unknown>;
  /** Plain SFTP rename: fails when `to` exists. */
  rename(from: string, to: string): Promise<unknown>;
  /** `posix-rename@openssh.com`: replaces `to` atomically. Rejects when the server lacks the extension. */
  posixRename(from: string, to: string): Promise<unknown>;
  createWriteStream(path: string, options?: { flags?: 'wx'; mode?: number; highWaterMark?: number }): Writable;
}

/**
 * The part of ssh2's SFTP channel (what `connect` resolves to) used to read with several requests in
 * flight, which neither library's read stream does. Errors carry an SFTP status in `code`.
 */
export interface SftpChannel {
  open(path: string, flags: 'r', callback: (error: Error | undefined, handle: Buffer) => void): void;
  open(path: string, flags: 'wx', attributes: { mode: number }, callback: (error: Error | undefined, handle: Buffer) => void): void;
  fstat(handle: Buffer, callback: (error: Error | undefined, stats: { size: number; isFile(): boolean }) => void): void;
  /** `bytesRead` may be less than asked for; 0 at end of file. */
  read(
    handle: Buffer,
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: (error: Error | undefined, bytesRead: number) => void,
  ): void;
  /** The data is copied into a packet before this returns. */
  write(
    handle: Buffer,
    data: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: (error: Error | undefined | null) => void,
  ): void;
  close(handle: Buffer, callback: (error?: Error | null) => void): void;
}

/** The `ssh2` connect options the connector sets. */
export interface SftpConnectOptions {
  /** Already-connected socket (with TCP_NODELAY set); ssh2 does no dialing of its own. */
  sock: Socket;
  username: string;
  privateKey?: string | Buffer;
  passphrase?: string;
  password?: string;
  /** Receives the raw host key blob; returning false aborts the handshake. */
  hostVerifier: (key: Buffer) => boolean;
  readyTimeout: number;
  keepaliveInterval: number;
  keepaliveCountMax: number;
}

/** Builds a client; `callbacks` replace the library's default logging of connection events. */
export type CreateSftpClient = (callbacks: { error: (error: unknown) => void; end: () => void; close: () => void }) => SftpClient;
