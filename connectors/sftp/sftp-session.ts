import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { finished, type Readable, type Writable } from 'node:stream';
import { AirlockError } from '../../src/errors.js';
import { INSECURE_ACCEPT_ANY_HOST_KEY, type CreateSftpClient, type SftpChannel, type SftpClient } from './sftp-connector-config.js';
import { CONNECTION_CLOSED, sftpFailure } from './sftp-errors.js';

export interface SftpCredentials {
  privateKey?: string;
  passphrase?: string;
  password?: string;
}

export interface SftpSessionOptions {
  host: string;
  port: number;
  username: string;
  /** `SHA256:<base64>` fingerprint the server's host key must have, or `insecure-accept-any`. */
  hostKey: string;
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  /** `sftp://user@host:port/root`, for messages. */
  location: string;
  credentials: SftpCredentials;
  createClient: CreateSftpClient;
}

/** Missed keepalive replies after which ssh2 declares the connection dead. */
const KEEPALIVE_COUNT_MAX = 3;
/** How long `end` waits for a polite goodbye before cutting the socket. */
const END_GRACE_MS = 2_000;

/**
 * One SSH connection with its SFTP channel. It notices its own end (`isClosed`) so the connector can open
 * a new one, and it fails whatever still uses it at that moment: ssh2 silently drops requests sent on a
 * closed channel, so without this a stream or request could wait forever.
 */
export class SftpSession {
  readonly client: SftpClient;
  /** The SFTP channel itself, set once connected. */
  channel!: SftpChannel;
  /** The root's canonical path on this server, set by the connector once it has checked the root exists. */
  realRoot = '';
  readonly #socket: Socket;
  /** Streams in use, each with how to word the failure it gets when the connection drops. */
  readonly #streams = new Map<Readable | Writable, (error: Error) => Error>();
  /**
   * Rejecters of the operations `guard` waits on. A set rather than a race against one shared promise,
   * which would keep a reaction per settled operation alive for as long as the connection lasts.
   */
  readonly #waiters = new Set<(error: Error) => void>();
  #isClosed = false;

  private constructor(client: SftpClient, socket: Socket) {
    this.client = client;
    this.#socket = socket;
    const onGone = (): void => this.#markClosed();
    client.on('close', onGone);
    client.on('end', onGone);
    socket.once('close', onGone);
  }

  /**
   * Dials with TCP_NODELAY (ssh2 leaves Nagle on; SFTP's small request/ack packets then stall for ~40 ms
   * each and streamed puts crawl), verifies the host key, authenticates and opens the SFTP channel.
   * Failures come back as AirlockErrors: a refused host key or credentials as `connector_failed`, a
   * network problem as `connector_unreachable`.
   */
  static async open(options: SftpSessionOptions): Promise<SftpSession> {
    const socket = await dial(options);
    let refusedKey: string | undefined;
    let lastError: unknown;
    const client = options.createClient({ error: () => undefined, end: () => undefined, close: () => undefined });
    // Prepended, so it sees ssh2's own error (with its `level`) before the library rewraps it.
    client.on('error', (error) => (lastError = error));
    const session = new SftpSession(client, socket);
    const connecting = client.connect({
      sock: socket,
      username: options.username,
      ...options.credentials,
      hostVerifier: (key) => {
        const seen = hostKeyFingerprint(key);
        if (options.hostKey === INSECURE_ACCEPT_ANY_HOST_KEY || seen === options.hostKey) return true;
        refusedKey = seen;
        return false;
      },
      readyTimeout: options.connectTimeoutMs,
      keepaliveInterval: options.keepaliveIntervalMs,
      keepaliveCountMax: KEEPALIVE_COUNT_MAX,
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(Object.assign(new Error('SFTP channel not ready in time'), { code: 'ETIMEDOUT' })),
        options.connectTimeoutMs,
      );
    });
    try {
      session.channel = await Promise.race([connecting, timeout]);
      return session;
    } catch (error) {
      socket.destroy();
      connecting.catch(() => undefined);
      if (refusedKey !== undefined) throw hostKeyRefused(options, refusedKey);
      throw sftpFailure(lastError ?? error, options.location, 'connecting');
    } finally {
      clearTimeout(timer);
    }
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Settles like `operation`, or rejects with a `CONNECTION_CLOSED` error if the connection drops first. */
  guard<T>(operation: Promise<T>): Promise<T> {
    if (this.#isClosed) {
      operation.catch(() => undefined);
      return Promise.reject(connectionClosed());
    }
    return new Promise<T>((resolve, reject) => {
      this.#waiters.add(reject);
      operation.then(resolve, reject).finally(() => this.#waiters.delete(reject));
    });
  }

  /**
   * Destroys `stream` if the connection drops while it is in use, with a `CONNECTION_CLOSED` error passed
   * through `translate` (so a caller's stream fails with an AirlockError naming its path).
   */
  track<S extends Readable | Writable>(stream: S, translate: (error: Error) => Error = (error) => error): S {
    if (this.#isClosed) {
      stream.destroy(translate(connectionClosed()));
      return stream;
    }
    this.#streams.set(stream, translate);
    finished(stream, () => this.#streams.delete(stream));
    return stream;
  }

  /** Closes the connection politely, cutting the socket if the server does not answer in time. */
  async end(): Promise<void> {
    if (!this.#isClosed) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.client.end().catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, END_GRACE_MS)))]);
      clearTimeout(timer);
    }
    this.#socket.destroy();
    this.#markClosed();
  }

  #markClosed(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    for (const reject of this.#waiters) reject(connectionClosed());
    this.#waiters.clear();
    for (const [stream, translate] of this.#streams) stream.destroy(translate(connectionClosed()));
    this.#streams.clear();
  }
}

/** What guarded operations and tracked streams fail with when their connection ends; `sftp-errors.ts` deems it transient. */
function connectionClosed(): Error {
  return Object.assign(new Error('The SFTP connection closed.'), { code: CONNECTION_CLOSED });
}

/** `SHA256:` + unpadded base64 of the SHA-256 of the raw host key blob: what `ssh-keygen -l` prints. */
export function hostKeyFingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

function hostKeyRefused(options: SftpSessionOptions, seen: string): AirlockError {
  const message =
    `SFTP server ${options.host}:${options.port} presented host key ${seen} but the connector expects ${options.hostKey}; ` +
    `if the server's key was changed on purpose, confirm ${seen} with its administrator and set hostKey: "${seen}".`;
  return new AirlockError('connector_failed', message);
}

function dial(options: SftpSessionOptions): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: options.host, port: options.port, noDelay: true });
    const timer = setTimeout(
      () => fail(Object.assign(new Error('TCP connect timed out'), { code: 'ETIMEDOUT' })),
      options.connectTimeoutMs,
    );
    const fail = (error: unknown): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(sftpFailure(error, options.location, 'connecting'));
    };
    socket.once('error', fail);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', fail);
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}
