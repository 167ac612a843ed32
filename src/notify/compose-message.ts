import type { MailRow } from '../db/schema.js';
import type { Mailbox } from './mail-config.js';
import type { MailTransport } from './mail-sender.js';
import { singleLine } from './mail-text.js';
import { MAX_SUBJECT_LENGTH } from './outbox.js';

/**
 * The message as nodemailer gets it: one recipient, text and HTML alternatives, no attachments, threading
 * headers. Header values are cleaned again here (a row may not have come through `enqueueMail`); nodemailer
 * encodes them and builds the address headers from the objects, so a name cannot smuggle in an address.
 */
export function composeMessage(mail: MailRow, from: Mailbox) {
  const isReply = mail.thread_id !== null && mail.thread_id !== mail.message_id;
  return {
    from: { name: singleLine(from.name, 100), address: from.address },
    to: { name: singleLine(mail.to_user ?? '', 100), address: mail.to_address },
    subject: singleLine(mail.subject, MAX_SUBJECT_LENGTH),
    text: mail.text_body,
    html: mail.html_body,
    messageId: mail.message_id,
    ...(isReply ? { inReplyTo: mail.thread_id!, references: [mail.thread_id!] } : {}),
    // RFC 3834: machine-generated, so auto-responders (out of office) do not answer it.
    headers: { 'Auto-Submitted': 'auto-generated' },
    disableFileAccess: true,
    disableUrlAccess: true,
  } satisfies Parameters<MailTransport['sendMail']>[0];
}
