import type { ListedMail } from './outbox-store.js';

/** A mail as the CLI (and later the API) shows it: no bodies, which `presentMailBody` adds on request. */
export function presentMail(m: ListedMail) {
  return {
    id: m.id,
    messageId: m.message_id,
    threadId: m.thread_id,
    ticket: m.ticketRef,
    kind: m.kind,
    to: m.to_address,
    toUser: m.to_user,
    subject: m.subject,
    state: m.state,
    attempts: m.attempts,
    lastError: m.last_error,
    nextAttemptAt: m.state === 'queued' ? m.next_attempt_at.toISOString() : null,
    createdAt: m.created_at.toISOString(),
    sentAt: m.sent_at?.toISOString() ?? null,
  };
}

export type PresentedMail = ReturnType<typeof presentMail>;

/** With the plain-text body, for `airlock outbox show`. The HTML body holds the same words. */
export function presentMailBody(m: ListedMail) {
  return { ...presentMail(m), text: m.text_body };
}
