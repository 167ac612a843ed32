import nodemailer, { type NodemailerError, type SendMailOptions, type Transporter } from 'nodemailer';
import type { MailConfig } from './mail-config.js';
import { singleLine } from './mail-text.js';

/** The slice of a nodemailer transporter the outbox worker uses; tests may pass their own. */
export interface MailTransport {
  sendMail(message: SendMailOptions): Promise<unknown>;
  close?(): void;
}

/**
 * Time limits of one SMTP conversation. The worker holds a claimed mail for as long as this takes, so they
 * stay well under the ten minutes after which a claim counts as abandoned (nodemailer's socket default).
 */
const TIMEOUTS = { connectionTimeout: 30_000, greetingTimeout: 30_000, socketTimeout: 60_000 } as const;

/**
 * The SMTP transport for `SMTP_URL`, or undefined when none is configured (mails then stay in the local
 * outbox). Nodemailer's own logger stays off: it would print the conversation, credentials included.
 * File and URL access are off too: a message is exactly the text and HTML it was given.
 */
export function createMailTransport(config: Pick<MailConfig, 'smtpUrl'>): Transporter | undefined {
  if (config.smtpUrl === undefined) return undefined;
  return nodemailer.createTransport({
    url: config.smtpUrl,
    ...TIMEOUTS,
    logger: false,
    debug: false,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
}

/** `smtps://smtp.example.com:465`: where mail goes, for logs and messages, without user or password. */
export function describeRelay(smtpUrl: string): string {
  const url = new URL(smtpUrl);
  return `${url.protocol}//${url.host}`;
}

/**
 * How a send failed.
 * - `unreachable`: no SMTP server judged the message (connection refused, reset or timed out, DNS, TLS,
 *   421 "closing channel", our credentials refused). An outage of the relay, not a fault of the mail.
 * - `rejected`: the server replied to this message with a refusal (4xx or 5xx to MAIL FROM, RCPT TO or DATA),
 *   or the message could not be built.
 */
export interface SendFailure {
  kind: 'unreachable' | 'rejected';
  /** The SMTP reply (`RCPT TO: 550 5.1.1 No such user`) or the error code and message: never a password or the body. */
  reply: string;
}

/** Nodemailer codes for failures of the connection or of our login, not of the message. */
const UNREACHABLE_CODES: ReadonlySet<string> = new Set([
  'ECONNECTION', // the server closed the connection unexpectedly
  'ETIMEDOUT', // connecting, greeting or an idle socket timed out
  'ESOCKET', // socket error, such as ECONNREFUSED
  'EDNS', // the relay's name did not resolve
  'ETLS', // TLS handshake or STARTTLS failed
  'EPROXY', // the proxy could not be reached
  'EAUTH', // our credentials were refused: configuration, not the mail
  'ENOAUTH', // the relay wants credentials and SMTP_URL has none
  'EOAUTH2', // an OAuth2 token could not be had
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);
/** RFC 5321 4.2.3: 421, service not available, closing transmission channel. */
const SERVICE_NOT_AVAILABLE = 421;
const MAX_REPLY_LENGTH = 500;

export function classifySendError(error: unknown): SendFailure {
  const e = (error ?? {}) as NodemailerError;
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const unreachable = responseCode === SERVICE_NOT_AVAILABLE || (responseCode === undefined && UNREACHABLE_CODES.has(e.code ?? ''));
  const isAuth = e.code === 'EAUTH' || e.code === 'ENOAUTH';
  const reply =
    responseCode !== undefined && e.response
      ? `${e.command ? `${e.command}: ` : ''}${e.response}`
      : `${e.code ?? 'error'}: ${e.message ?? String(error)}`;
  return { kind: unreachable || isAuth ? 'unreachable' : 'rejected', reply: scrub(reply) };
}

/** One line, bounded, with any `user:password@` of a URL taken out (a defence: nodemailer does not put it there). */
function scrub(text: string): string {
  return singleLine(text.replace(/\/\/[^/\s@]*@/g, '//[redacted]@'), MAX_REPLY_LENGTH);
}
