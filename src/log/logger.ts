import pino, { type Logger } from 'pino';

export type { Logger };

/** Field paths whose values are credentials; pino replaces them before a line is written. */
const REDACT_PATHS = [
  'password',
  'secret',
  'token',
  'authorization',
  'accessKeyId',
  'secretAccessKey',
  'privateKey',
  'passphrase',
  'masterKey',
  '*.masterKey',
  '*.password',
  '*.secret',
  '*.token',
  '*.authorization',
  '*.secretAccessKey',
  '*.privateKey',
  // SMTP_URL may carry the relay's password; the config holds it at `mail.smtpUrl`.
  'smtpUrl',
  '*.smtpUrl',
  '*.*.smtpUrl',
  // The OIDC client secret (config.oidcLogin.clientSecret), should a config ever be logged.
  'clientSecret',
  '*.clientSecret',
  'req.headers.authorization',
  'req.headers.cookie',
];

export interface LoggerOptions {
  level: string;
  /** Human-readable output (for a terminal); JSON lines otherwise. */
  pretty: boolean;
  /** Where lines go; stderr by default so stdout stays for command output. */
  destination?: NodeJS.WritableStream;
}

/** The root logger. Everything else logs through children of it (per job, per request). */
export function createLogger(options: LoggerOptions): Logger {
  const base = { level: options.level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if (options.pretty) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { destination: 2, colorize: true, ignore: 'pid,hostname' } },
    });
  }
  return pino(base, (options.destination as pino.DestinationStream | undefined) ?? pino.destination(2));
}
