import { z } from 'zod';
import { AirlockError } from '../errors.js';

/** The sender when MAIL_FROM is not set: fine for a local mail catcher, replaced for real mail. */
export const DEFAULT_MAIL_FROM = 'Airlock <airlock@localhost>';
/** The Message-ID domain of callers that pass none (tests, tools without configuration). */
export const DEFAULT_MESSAGE_ID_DOMAIN = 'airlock.local';

/** Static setup of outgoing mail. */
export interface MailConfig {
  /**
   * `smtp://` or `smtps://` URL of the relay, user and password included when it needs them (SMTP_URL);
   * absent means no mail leaves the host: mails stay in the local outbox (`airlock outbox`). Never logged.
   */
  readonly smtpUrl: string | undefined;
  /** The From header, `Name <address>` or a bare address (MAIL_FROM). */
  readonly from: string;
  /** Right-hand side of every Message-ID (MAIL_MESSAGE_ID_DOMAIN), MAIL_FROM's domain when absent. */
  readonly messageIdDomain: string;
}

export interface Mailbox {
  readonly name: string;
  readonly address: string;
}

/**
 * A sender address: looser than a recipient's (src/auth/user-schema.ts), since a relay on the same host
 * often accepts a dotless domain such as `localhost`; still one address with nothing a header could break on.
 */
const SENDER_ADDRESS = /^[A-Za-z0-9._%+'-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/**
 * Reads `Name <address>` or `address`. The name may not hold line breaks, controls or angle brackets:
 * it is configuration, but it ends up in a header. Returns a problem sentence when it does not parse.
 */
export function parseMailbox(value: string): Mailbox | string {
  const match = /^\s*(?:"?([^"<>]*?)"?\s*<([^<>\s]+)>|([^<>\s]+))\s*$/.exec(value);
  const address = match?.[2] ?? match?.[3];
  const name = (match?.[1] ?? '').trim();
  if (address === undefined || /\p{Cc}/u.test(value)) return 'must be "Name <address>" or an address, on one line';
  if (!SENDER_ADDRESS.test(address)) return 'must hold a valid e-mail address';
  return { name, address };
}

/** `smtp://` or `smtps://` with a host. The value is never echoed: it may hold a password. */
export const smtpUrlSchema = z
  .string()
  .min(1)
  .superRefine((value, ctx) => {
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || url.hostname === '')
      ctx.addIssue({ code: 'custom', message: 'must be an smtp:// or smtps:// URL with a host (value not shown: it may hold a password)' });
  });

export const mailFromSchema = z.string().superRefine((value, ctx) => {
  const parsed = parseMailbox(value);
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
});

export const messageIdDomainSchema = z.string().regex(DOMAIN, 'must be a domain name such as airlock.example.com');

/** Builds the frozen mail setup from the parsed variables. */
export function mailConfig(smtpUrl: string | undefined, from: string, messageIdDomain: string | undefined): MailConfig {
  const sender = parseMailbox(from);
  if (typeof sender === 'string') throw new AirlockError('invalid_input', `MAIL_FROM ${sender}.`);
  return Object.freeze({ smtpUrl, from, messageIdDomain: messageIdDomain ?? domainOf(sender.address) });
}

/** The domain of an address, or the default when it is not usable in a Message-ID. */
export function domainOf(address: string): string {
  const domain = address.slice(address.lastIndexOf('@') + 1);
  return DOMAIN.test(domain) ? domain.toLowerCase() : DEFAULT_MESSAGE_ID_DOMAIN;
}

/** Whether `domain` may stand right of the `@` in a Message-ID. */
export function isMessageIdDomain(domain: string): boolean {
  return DOMAIN.test(domain);
}
