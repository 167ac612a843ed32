import { AirlockError } from '../../src/errors.js';

/**
 * Translation of ssh2 / ssh2-sftp-client failures into Airlock's codes, at the connector's edge. Vendor
 * messages are not copied into ours (only codes are), so nothing the server or library says can leak.
 */
export type SftpFailureKind = 'missing' | 'denied' | 'transient' | 'auth' | 'credentials' | 'other';

/** SFTP status codes (draft-ietf-secsh-filexfer-02 §7) as ssh2 reports them in `error.code`. */
const SFTP_NO_SUCH_FILE = 2;
const SFTP_PERMISSION_DENIED = 3;

/** `code` of the error a session fails its operations and streams with when its connection ends. */
export const CONNECTION_CLOSED = 'ERR_SFTP_CONNECTION_CLOSED';

/** Codes of a connection that dropped or could not be made: worth another attempt on a new connection. */
const TRANSIENT_CODES = new Set<unknown>([
  'ECONNRESET', // the peer reset the TCP connection
  'ECONNREFUSED', // nothing listening yet: a server restarting
  'ECONNABORTED', // connection aborted locally
  'ETIMEDOUT', // TCP connect or I/O timed out
  'EPIPE', // wrote to a connection the peer closed
  'EHOSTUNREACH', // routing hiccup
  'ENETUNREACH', // routing hiccup
  'ENETDOWN', // local network down
  'EAI_AGAIN', // DNS temporarily failed
  'ERR_NOT_CONNECTED', // ssh2-sftp-client: "No SFTP connection available" after a drop
  CONNECTION_CLOSED, // our session noticed its connection end
  6, // SSH_FX_NO_CONNECTION
  7, // SSH_FX_CONNECTION_LOST
]);

/** ssh2 `error.level`s for a socket failing or a handshake or keepalive timing out. */
const TRANSIENT_LEVELS = new Set<unknown>(['client-socket', 'client-timeout']);

/** What ssh2 and ssh2-sftp-client say, without a code, when the connection or channel went away. */
const TRANSIENT_MESSAGE =
  /No response from server|Unexpected (end|close) event|No SFTP connection|channel (is )?(closed|open failure)|Timed out while waiting for handshake|Keepalive timeout|Connection lost|socket hang up|Not connected/i;

/** ssh2's word for every configured method (key or password) being refused by the server. */
const AUTH_MESSAGE = /All configured authentication methods failed/i;

/** ssh2 refusing the configured key itself before any network traffic (unparseable, wrong passphrase). */
const KEY_MESSAGE = /privateKey|private key|passphrase/i;

export function classifySftpError(error: unknown): SftpFailureKind {
  const { code, level, message } = (error ?? {}) as { code?: unknown; level?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : '';
  if (code === SFTP_NO_SUCH_FILE || code === 'ENOENT') return 'missing';
  if (code === SFTP_PERMISSION_DENIED || code === 'EACCES') return 'denied';
  if (TRANSIENT_CODES.has(code) || TRANSIENT_LEVELS.has(level) || TRANSIENT_MESSAGE.test(text)) return 'transient';
  if (level === 'client-authentication' || AUTH_MESSAGE.test(text)) return 'auth';
  if (KEY_MESSAGE.test(text)) return 'credentials';
  return 'other';
}

/**
 * A short, safe label for an underlying error: its code, or the fixed library phrase for a dropped
 * connection; never the free text of a message.
 */
export function describeCause(error: unknown): string {
  const { code, level, message } = (error ?? {}) as { code?: unknown; level?: unknown; message?: unknown };
  if (typeof code === 'number') return `SFTP status ${code}`;
  if (typeof code === 'string' && code !== 'ERR_GENERIC_CLIENT') return code;
  const phrase = typeof message === 'string' ? TRANSIENT_MESSAGE.exec(message)?.[0] : undefined;
  if (phrase !== undefined) return phrase;
  if (typeof level === 'string') return level;
  return error instanceof Error ? error.name : 'unknown error';
}

/** "reading \"a/b.txt\"", or just "listing" for the root. */
export function describeAction(doing: string, path?: string): string {
  return path === undefined || path === '' ? doing : `${doing} ${JSON.stringify(path)}`;
}

/**
 * Builds the AirlockError for a failed operation. `doing` completes "while …" (`reading`, `writing`);
 * `path` is the connector-relative path, or undefined for the connection as a whole.
 */
export function sftpFailure(error: unknown, location: string, doing: string, path?: string): AirlockError {
  if (error instanceof AirlockError) return error;
  const target = path === undefined ? location : `${JSON.stringify(path)} under ${location}`;
  const cause = describeCause(error);
  switch (classifySftpError(error)) {
    case 'missing':
      return new AirlockError('connector_failed', `SFTP path ${target} does not exist.`, { cause: error });
    case 'denied':
      return new AirlockError(
        'connector_failed',
        `SFTP server refused ${doing} ${target}: permission denied; check the remote user's rights.`,
        {
          cause: error,
        },
      );
    case 'transient':
      return new AirlockError(
        'connector_unreachable',
        `Lost the SFTP connection to ${location} while ${describeAction(doing, path)} (${cause}); retry later.`,
        {
          cause: error,
        },
      );
    case 'auth':
      return new AirlockError(
        'connector_failed',
        `SFTP authentication to ${location} failed; check the connector's username and its privateKey or password.`,
        {
          cause: error,
        },
      );
    case 'credentials':
      return new AirlockError(
        'connector_failed',
        `The SFTP private key for ${location} could not be used; check that it is an OpenSSH or PEM key and that passphrase is right.`,
        {
          cause: error,
        },
      );
    default:
      return new AirlockError('connector_failed', `SFTP ${doing} ${target} failed (${cause}).`, { cause: error });
  }
}

/** Whether a failure is a dropped or unreachable connection (and so worth retrying on a new one). */
export function isTransientSftpError(error: unknown): boolean {
  if (error instanceof AirlockError) return error.retryable;
  return classifySftpError(error) === 'transient';
}
