import type { Db } from '../db/database.js';
import type { MailRow } from '../db/schema.js';
import { AirlockError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { composeMessage } from './compose-message.js';
import { parseMailbox, type Mailbox } from './mail-config.js';
import { classifySendError, type MailTransport, type SendFailure } from './mail-sender.js';

export interface OutboxWorkerConfig {
  db: Db;
  /** Where mail goes; absent (no SMTP_URL) turns queued mails `local`: kept in the outbox, never dropped. */
  transport?: MailTransport | undefined;
  /** The From header, `Name <address>` (MAIL_FROM). */
  from: string;
  logger: Logger;
  /** The clock for claims, retries and `sent_at`; tests move it. */
  now?: () => Date;
  /** Rejections of a mail before it is `failed`; outages of the relay do not count (see `runOnce`). */
  maxAttempts?: number;
  /** Wait before the next try, in ms, after the `attempt`-th (1-based) failure. */
  backoff?: (attempt: number) => number;
  /** Mails claimed at a time. */
  batchSize?: number;
}

export interface OutboxRun {
  sent: number;
  /** Given up on: rejected `maxAttempts` times. */
  failed: number;
  /** Put back to be tried again later. */
  retried: number;
  /** Kept in the local outbox because no transport is configured. */
  local: number;
}

/** A claim older than this belongs to a worker that stopped mid-send (no SMTP conversation lasts this long). */
export const CLAIM_TIMEOUT_MS = 10 * 60_000;
const DEFAULT_MAX_ATTEMPTS = 8;
const DEFAULT_BATCH_SIZE = 20;

/** 1 min, 2, 4… up to 1 h, each ±20 % so that mails queued together do not retry in lockstep. */
export function defaultBackoff(attempt: number): number {
  const base = Math.min(60_000 * 2 ** Math.max(0, attempt - 1), 3_600_000);
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/**
 * Sends the outbox. A mail is claimed (`queued` → `sending`, one statement with `for update skip locked`, so
 * two workers on PostgreSQL never take the same row; the embedded store has one session and serialises them
 * anyway), sent with no transaction open, then marked `sent` guarded by its claim.
 *
 * Failures: a rejection (a 4xx or 5xx reply about the message) counts an attempt and retries with backoff
 * until `maxAttempts`, then `failed` with the reply kept. An outage (no server judged the message) also
 * records the error and waits, but never uses up attempts and never fails a mail: an outage of any length
 * loses no mail. The rest of the batch is put back untried, and the wait grows with the outage.
 *
 * Exactly once, but for one edge: a worker that dies after the server accepted a mail and before marking it
 * sent leaves a claim that is taken back after CLAIM_TIMEOUT_MS, and that mail goes out a second time.
 */
export class OutboxWorker {
  readonly #db: Db;
  readonly #transport: MailTransport | undefined;
  readonly #from: Mailbox;
  readonly #log: Logger;
  readonly #now: () => Date;
  readonly #maxAttempts: number;
  readonly #backoff: (attempt: number) => number;
  readonly #batchSize: number;
  /** Consecutive outages seen by this worker; sets the wait after the next one, reset by any reply. */
  #outages = 0;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = true;

  constructor(config: OutboxWorkerConfig) {
    const from = parseMailbox(config.from);
    if (typeof from === 'string') throw new AirlockError('invalid_input', `The sender address (MAIL_FROM) ${from}.`);
    this.#db = config.db;
    this.#transport = config.transport;
    this.#from = from;
    this.#log = config.logger.child({ component: 'outbox' });
    this.#now = config.now ?? (() => new Date());
    this.#maxAttempts = config.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.#backoff = config.backoff ?? defaultBackoff;
    this.#batchSize = config.batchSize ?? DEFAULT_BATCH_SIZE;
  }

  /** One pass: takes back abandoned claims, then sends (or keeps locally) every mail that is due. */
  async runOnce(): Promise<OutboxRun> {
    const run: OutboxRun = { sent: 0, failed: 0, retried: 0, local: 0 };
    await this.#reclaimAbandoned();
    if (!this.#transport) {
      run.local = await this.#keepLocal();
      return run;
    }
    // Batch after batch while every send went through; after a failure the rest waits for the next pass.
    for (;;) {
      const batch = await this.#claim();
      if (batch.length === 0) return run;
      let failures = 0;
      for (const [index, mail] of batch.entries()) {
        const failure = await this.#send(this.#transport, mail);
        if (!failure) {
          run.sent += 1;
          continue;
        }
        failures += 1;
        if ((await this.#recordFailure(mail, failure)) === 'failed') run.failed += 1;
        else run.retried += 1;
        if (failure.kind === 'unreachable') {
          run.retried += await this.#release(batch.slice(index + 1), failure);
          break;
        }
      }
      if (failures > 0) return run;
    }
  }

  /** Runs a pass every `intervalMs` (the next one starts when the last has finished) until `stop()`. */
  start(intervalMs: number): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const tick = (): void => {
      this.#running = this.runOnce()
        .then((run) => {
          if (run.sent + run.failed + run.retried + run.local > 0) this.#log.info(run, 'outbox pass');
        })
        .catch((error: unknown) => this.#log.error({ err: error }, 'outbox pass failed'))
        .finally(() => {
          this.#running = undefined;
          if (!this.#stopped) this.#timer = setTimeout(tick, intervalMs).unref();
        });
    };
    tick();
  }

  /** Stops the timer and waits for a pass in progress to finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  async #reclaimAbandoned(): Promise<void> {
    const before = new Date(this.#now().getTime() - CLAIM_TIMEOUT_MS);
    const reclaimed = await this.#db
      .updateTable('mails')
      .set({ state: 'queued', claimed_at: null, last_error: 'taken back: the worker sending it stopped (it may have gone out once)' })
      .where('state', '=', 'sending')
      .where('claimed_at', '<', before)
      .returning('id')
      .execute();
    if (reclaimed.length > 0) this.#log.warn({ mails: reclaimed.length }, 'abandoned mail claims taken back');
  }

  async #keepLocal(): Promise<number> {
    const kept = await this.#db.updateTable('mails').set({ state: 'local' }).where('state', '=', 'queued').returning('id').execute();
    return kept.length;
  }

  async #claim(): Promise<MailRow[]> {
    const now = this.#now();
    return this.#db
      .updateTable('mails')
      .set({ state: 'sending', claimed_at: now })
      .where('state', '=', 'queued')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('mails')
          .select('id')
          .where('state', '=', 'queued')
          .where('next_attempt_at', '<=', now)
          .orderBy('created_at')
          .orderBy('id')
          .limit(this.#batchSize)
          .forUpdate()
          .skipLocked(),
      )
      .returningAll()
      .execute()
      .then((rows) => rows.sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || a.id.localeCompare(b.id)));
  }

  /** Sends one claimed mail and marks it sent; returns why it failed, if it did. */
  async #send(transport: MailTransport, mail: MailRow): Promise<SendFailure | undefined> {
    const log = this.#log.child({ mailId: mail.id, ticketId: mail.ticket_id, kind: mail.kind });
    try {
      await transport.sendMail(composeMessage(mail, this.#from));
    } catch (error) {
      const failure = classifySendError(error);
      log.warn({ failure: failure.kind, reply: failure.reply, attempts: mail.attempts }, 'mail not sent');
      return failure;
    }
    this.#outages = 0;
    const marked = await this.#db
      .updateTable('mails')
      .set({ state: 'sent', sent_at: this.#now(), attempts: mail.attempts + 1, claimed_at: null })
      .where('id', '=', mail.id)
      .where('state', '=', 'sending')
      .where('claimed_at', '=', mail.claimed_at)
      .executeTakeFirst();
    if (marked.numUpdatedRows === 0n) log.warn('mail sent, but its claim had been taken back meanwhile: it may go out twice');
    else log.info({ attempts: mail.attempts + 1 }, 'mail sent');
    return undefined;
  }

  /** Puts a mail back with its error and next try, or gives up on it; returns the state it was left in. */
  async #recordFailure(mail: MailRow, failure: SendFailure): Promise<'queued' | 'failed'> {
    const now = this.#now();
    let attempts = mail.attempts;
    let wait: number;
    if (failure.kind === 'unreachable') {
      this.#outages += 1;
      wait = this.#backoff(this.#outages);
    } else {
      this.#outages = 0;
      attempts += 1;
      wait = this.#backoff(attempts);
    }
    const state = failure.kind === 'rejected' && attempts >= this.#maxAttempts ? 'failed' : 'queued';
    await this.#db
      .updateTable('mails')
      .set({ state, attempts, last_error: failure.reply, next_attempt_at: new Date(now.getTime() + wait), claimed_at: null })
      .where('id', '=', mail.id)
      .where('state', '=', 'sending')
      .execute();
    if (state === 'failed') this.#log.error({ mailId: mail.id, ticketId: mail.ticket_id, attempts, reply: failure.reply }, 'mail failed');
    return state;
  }

  /** Puts claimed mails back untried (the relay is down), due when the one that found it down is. */
  async #release(mails: readonly MailRow[], failure: SendFailure): Promise<number> {
    if (mails.length === 0) return 0;
    const next = new Date(this.#now().getTime() + this.#backoff(this.#outages));
    const released = await this.#db
      .updateTable('mails')
      .set({ state: 'queued', claimed_at: null, last_error: failure.reply, next_attempt_at: next })
      .where(
        'id',
        'in',
        mails.map((m) => m.id),
      )
      .where('state', '=', 'sending')
      .returning('id')
      .execute();
    return released.length;
  }
}
