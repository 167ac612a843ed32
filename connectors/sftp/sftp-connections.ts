import { AirlockError } from '../../src/errors.js';
import { withRetry } from '../retry.js';
import type { CreateSftpClient, SftpConnectorConfig } from './sftp-connector-config.js';
import { describeAction, describeCause, sftpFailure } from './sftp-errors.js';
import { SftpSession, type SftpCredentials } from './sftp-session.js';

export interface SftpRetryOptions {
  attempts: number;
  baseMs: number;
  maxMs: number;
}

/** Attempts per operation on transient failures (dropped connection, server restarting), with backoff. */
export const DEFAULT_SFTP_RETRY: SftpRetryOptions = { attempts: 4, baseMs: 250, maxMs: 5_000 };

export interface SftpConnectionsOptions {
  config: SftpConnectorConfig;
  location: string;
  loadCredentials: () => Promise<SftpCredentials>;
  createClient: CreateSftpClient;
  retry: SftpRetryOptions;
}

/**
 * The connector's one shared connection: opened on first use, reopened by the next operation after it
 * drops, checked against the root each time. Operations run through `run`, which translates failures and
 * retries the transient ones on a fresh connection; permanent ones (host key, credentials, permissions,
 * a missing root) fail at once.
 */
export class SftpConnections {
  readonly #options: SftpConnectionsOptions;
  /** Temporary files a dropped connection kept the connector from removing; deleted on the next connection. */
  readonly #orphans = new Set<string>();
  #session: Promise<SftpSession> | undefined;
  #isClosed = false;

  constructor(options: SftpConnectionsOptions) {
    this.#options = options;
  }

  /** Runs `operation` on the connection with retries; `doing` and `path` name it in messages. */
  run<T>(doing: string, path: string, operation: (session: SftpSession) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const attempt = async (): Promise<T> => {
      let session: SftpSession;
      try {
        session = await this.#connection();
      } catch (error) {
        throw this.#connectFailure(error, doing, path);
      }
      return this.step(session, doing, path, operation);
    };
    return withRetry(attempt, {
      ...this.#options.retry,
      isRetryable: (error: unknown) => error instanceof AirlockError && error.retryable,
      ...(signal === undefined ? {} : { signal }),
    });
  }

  /** One attempt of `operation` on `session`, without retry, translated; a transient failure retires the session. */
  async step<T>(session: SftpSession, doing: string, path: string, operation: (session: SftpSession) => Promise<T>): Promise<T> {
    try {
      return await session.guard(operation(session));
    } catch (error) {
      const failure = sftpFailure(error, this.#options.location, doing, path);
      if (failure.retryable) void session.end();
      throw failure;
    }
  }

  /** Remembers a temporary file until `release`; one still held when a connection opens is deleted then. */
  hold(temp: string): void {
    this.#orphans.add(temp);
  }

  release(temp: string): void {
    this.#orphans.delete(temp);
  }

  /** Deletes a temporary file now, best effort; when that is impossible it stays held for the next connection. */
  async discard(session: SftpSession, temp: string): Promise<void> {
    if (session.isClosed) return;
    await session.guard(session.client.delete(temp, true)).then(
      () => this.release(temp),
      () => undefined,
    );
  }

  async close(): Promise<void> {
    this.#isClosed = true;
    const session = await this.#session?.catch(() => undefined);
    this.#session = undefined;
    await session?.end();
  }

  async #connection(): Promise<SftpSession> {
    if (this.#isClosed) throw new AirlockError('invalid_transition', `The SFTP connector for ${this.#options.location} is closed.`);
    const current = this.#session;
    if (current !== undefined) {
      const session = await current.catch(() => undefined);
      if (session !== undefined && !session.isClosed) return session;
      if (this.#session === current) this.#session = undefined;
    }
    this.#session ??= this.#open();
    const opening = this.#session;
    try {
      return await opening;
    } catch (error) {
      if (this.#session === opening) this.#session = undefined;
      throw error;
    }
  }

  async #open(): Promise<SftpSession> {
    const { config, location, createClient } = this.#options;
    const { host, port, username, hostKey, connectTimeoutMs, keepaliveIntervalMs, root } = config;
    const credentials = await this.#options.loadCredentials();
    const session = await SftpSession.open({
      ...{ host, port, username, hostKey, connectTimeoutMs, keepaliveIntervalMs },
      ...{ credentials, location, createClient },
    });
    try {
      const real = await session.guard(session.client.realPath(root));
      if (real === '' || !(await session.guard(session.client.stat(real))).isDirectory) {
        const message = `SFTP root ${location} does not exist or is not a folder; create it or fix the connector's root setting.`;
        throw new AirlockError('connector_failed', message);
      }
      session.realRoot = real;
    } catch (error) {
      await session.end();
      throw sftpFailure(error, location, 'opening the root');
    }
    for (const orphan of this.#orphans) await this.discard(session, orphan);
    return session;
  }

  /** A failure to connect, said in terms of the operation that needed the connection when it is transient. */
  #connectFailure(error: unknown, doing: string, path: string): AirlockError {
    const { location } = this.#options;
    const failure = sftpFailure(error, location, 'connecting');
    if (!failure.retryable) return failure;
    const cause = failure.cause ?? error;
    const message = `Could not connect to ${location} for ${describeAction(doing, path)} (${describeCause(cause)}); retry later.`;
    return new AirlockError('connector_unreachable', message, { cause });
  }
}
