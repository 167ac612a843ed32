// Shared setup of the review tests (src/approvals/review-*.test.ts): a fresh store, a real SMTP server on
// 127.0.0.1 with the outbox worker sending to it through nodemailer, the in-process app serving the e-mailed
// links, a real TicketProcessor on a local → local pipeline whose inbox holds a CSV with a card number and a
// canary, and one ManualClock for every review timer.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { expect } from 'vitest';
import { runReviewClock, type ClockSweep } from '../src/approvals/review-clock.js';
import type { CommunicationContext } from '../src/approvals/review-task.js';
import type { Role } from '../src/auth/roles.js';
import { addUser } from '../src/auth/user-store.js';
import { ManualClock } from '../src/clock.js';
import type { Db } from '../src/db/database.js';
import type { ReviewSettings, TicketRow } from '../src/db/schema.js';
import { createPipelineResolver } from '../src/engine/pipeline-resolver.js';
import { TicketProcessor } from '../src/engine/ticket-processor.js';
import { createApp } from '../src/http/app.js';
import { DEFAULT_LIMITS } from '../src/inspect/inspection-limits.js';
import { createLogger } from '../src/log/logger.js';
import { createMailTransport } from '../src/notify/mail-sender.js';
import { OutboxWorker } from '../src/notify/outbox-worker.js';
import { StagingArea } from '../src/staging/staging-area.js';
import { submitTicket } from '../src/tickets/submit-ticket.js';
import { getTicketRow } from '../src/tickets/ticket-store.js';
import { TEST_CARDS } from './sample-values.js';
import { startSmtpServer, type SmtpTestServer } from './servers/smtp-server.js';
import { createTestStore } from './test-store.js';

const REPO = path.resolve(import.meta.dirname, '..');
export const HOUR = 3_600_000;
export const PIPELINE = 'payments-review';
export const PUBLIC_URL = 'http://airlock.test:8080';
export const SLA_MINUTES = 30;
/** Planted in the CSV: neither may ever appear in a mail. */
export const CARD = TEST_CARDS[0];
export const CANARY = 'CANARY-q7Zx3-never-in-a-mail';
/** How the patterns check masks CARD in findings: the most of it a mail may show. */
export const MASKED_CARD = `${CARD.slice(0, 4)}${'*'.repeat(CARD.length - 8)}${CARD.slice(-4)}`;
export const CSV = `customer,amount,card,note\nACME Ltd,1200.00,${CARD},${CANARY}\n`;

export interface TestUser {
  name: string;
  roles: Role[];
  groups?: string[];
}

/** alice requests; mona is the manager; bob is in the backup group; olga and oscar are operators. */
export const USERS: readonly TestUser[] = [
  { name: 'alice', roles: ['requester'] },
  { name: 'mona', roles: ['approver'], groups: ['managers'] },
  { name: 'bob', roles: ['approver'], groups: ['backup'] },
  { name: 'olga', roles: ['operator'] },
  { name: 'oscar', roles: ['operator'] },
];

export interface ReceivedReviewMail {
  /** The outbox row's kind: `acknowledgement`, `review-request`, `reminder`, `expired`, `escalation`… */
  kind: string;
  /** The one envelope recipient. */
  to: string;
  subject: string;
  text: string;
  html: string;
  raw: string;
  messageId: string;
  inReplyTo: string | undefined;
  references: string[];
  /** The link URLs of the plain text, by their label (`Confirm`, `Approve`, `Talk to a human`…). */
  links: Map<string, string>;
}

export type Page = { status: number; text: string };
export type LinkForm = { action: string; csrf: string };

export interface ReviewHarness {
  db: Db;
  clock: ManualClock;
  communication: CommunicationContext;
  staging: StagingArea;
  processor: TicketProcessor;
  outbox: string;
  /** Ticket ids passed to `purge` (by the link routes and the review clock), in call order. */
  purged: string[];
  /** Ticket ids passed to `enqueue` (on submit and on approval), in call order. */
  enqueued: string[];
  /** Every mail the SMTP server received, in order. */
  mails: ReceivedReviewMail[];
  /** Submits a ticket as alice through `submitTicket`, with the acknowledgement written beside it. */
  submit(): Promise<TicketRow>;
  /** Submits and processes a ticket until it awaits approval, then sends the outbox. */
  awaitingReview(): Promise<{ ticket: TicketRow; mails: ReceivedReviewMail[] }>;
  /** Runs the outbox worker once and returns the mails received since the last flush. */
  flush(): Promise<ReceivedReviewMail[]>;
  runClock(): Promise<ClockSweep>;
  ticket(id: string): Promise<TicketRow>;
  open(url: string): Promise<Page>;
  /** Opens a link and reads the form of its confirmation page: where it posts, and its CSRF token. */
  form(url: string): Promise<LinkForm>;
  /** Presses a button of a page opened earlier: posts its form. */
  press(form: LinkForm, decision?: 'approve' | 'reject'): Promise<Page>;
  /** What a person does: open the link, then press a button of its page. */
  answer(url: string, decision?: 'approve' | 'reject'): Promise<Page>;
  /** Everything a link or a sweep could change on a ticket, but a link's `opened_at`. */
  snapshot(ticketId: string): Promise<unknown>;
  /** Files in the destination folder. */
  delivered(): Promise<string[]>;
  close(): Promise<void>;
}

export async function createReviewHarness(options: { review?: Partial<ReviewSettings>; users?: readonly TestUser[] } = {}) {
  const store = await createTestStore();
  const smtp = await startSmtpServer();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-review-'));
  const [pipelinesDir, inbox, outbox] = ['pipelines', 'inbox', 'outbox'].map((name) => path.join(dir, name)) as [string, string, string];
  await Promise.all([mkdir(pipelinesDir), mkdir(inbox), mkdir(outbox)]);
  await writeFile(path.join(inbox, 'payments.csv'), CSV);
  await writeFile(path.join(inbox, 'summary.txt'), 'Quarterly summary: revenue up 4%, no customer data in this file.\n');
  const pipeline = {
    name: PIPELINE,
    source: { kind: 'local', root: '../inbox', include: ['**/*'] },
    destination: { kind: 'local', root: '../outbox' },
    policy: 'default',
    delivery: 'all-or-nothing',
    checks: ['filetype', 'patterns', 'dlp'],
    approvers: [{ group: 'managers' }],
    requesterConfirms: true,
    ...(options.review ? { review: options.review } : {}),
    trigger: { manual: true },
  };
  // YAML is a superset of JSON.
  await writeFile(path.join(pipelinesDir, `${PIPELINE}.yaml`), JSON.stringify(pipeline, null, 2));
  for (const user of options.users ?? USERS) {
    await addUser(store.db, { name: user.name, email: `${user.name}@example.com`, roles: user.roles, groups: user.groups ?? [] });
  }

  // Review timers run on this clock. It starts at the wall-clock time because the link pages judge a link's
  // expiry by the wall clock (createApp gives them no clock), and so does the outbox worker's retry schedule.
  const clock = new ManualClock(new Date());
  const communication: CommunicationContext = { publicUrl: PUBLIC_URL, clock, messageIdDomain: 'airlock.test' };
  const staging = new StagingArea(path.join(dir, 'staging'), Buffer.alloc(32, 9));
  const purged: string[] = [];
  const enqueued: string[] = [];
  const purge = async (ticketId: string) => {
    purged.push(ticketId);
    await staging.purge(ticketId);
  };
  const enqueue = async (_trx: Db, ticketId: string) => {
    enqueued.push(ticketId);
  };
  const processor = new TicketProcessor({
    db: store.db,
    staging,
    resolvePipeline: createPipelineResolver({ pipelinesDir, policiesDir: path.join(REPO, 'policies'), env: {} }),
    logger: pino({ level: 'silent' }),
    checkTimeoutMs: 10_000,
    limits: DEFAULT_LIMITS,
    itemConcurrency: 2,
    actor: 'worker:test',
    communication,
  });
  const app = createApp({
    db: store.db,
    logger: createLogger({ level: 'silent', pretty: false }),
    version: '0.0.0-test',
    queueReady: async () => true,
    pipelinesDir,
    enqueue,
    purge,
    escalationSlaMinutes: SLA_MINUTES,
    communication,
    linkSecret: Buffer.alloc(32, 3),
  });
  const worker = new OutboxWorker({
    db: store.db,
    transport: createMailTransport({ smtpUrl: smtp.url }),
    from: 'Airlock <airlock@example.org>',
    logger: pino({ level: 'silent' }),
  });
  const mails: ReceivedReviewMail[] = [];

  const request = async (url: string, init: RequestInit = {}): Promise<Page> => {
    const response = await app.request(url, init, { incoming: { socket: { remoteAddress: '192.0.2.1' } } });
    return { status: response.status, text: await response.text() };
  };
  const post = (url: string, fields: Record<string, string>) =>
    request(new URL(url, PUBLIC_URL).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });

  const harness: ReviewHarness = {
    db: store.db,
    clock,
    communication,
    staging,
    processor,
    outbox,
    purged,
    enqueued,
    mails,
    submit: () =>
      submitTicket(
        { db: store.db, pipelinesDir, enqueue, communication },
        { pipeline: PIPELINE, requester: 'alice', purpose: 'Q1 payments for the auditors' },
      ),
    async awaitingReview() {
      const submitted = await harness.submit();
      const ticket = await processor.process(submitted.id);
      expect(ticket.state).toBe('awaiting_approval');
      return { ticket, mails: await harness.flush() };
    },
    async flush() {
      const before = smtp.received.length;
      const run = await worker.runOnce();
      expect(run).toMatchObject({ failed: 0, retried: 0 });
      const fresh = await Promise.all(smtp.received.slice(before).map((m) => describeMail(store.db, m)));
      mails.push(...fresh);
      return fresh;
    },
    runClock: () => runReviewClock(store.db, { ...communication, purge }),
    ticket: (id) => getTicketRow(store.db, id),
    open: (url) => request(url),
    async form(url) {
      const page = await request(url);
      expect(page.status, page.text).toBe(200);
      const form = /<form method="post" action="([^"]+)">\s*<input type="hidden" name="csrf" value="([^"]+)" \/>/.exec(page.text);
      expect(form, page.text).not.toBeNull();
      return { action: form![1]!, csrf: form![2]! };
    },
    press: (form, decision) => post(form.action, { csrf: form.csrf, ...(decision ? { decision } : {}) }),
    answer: async (url, decision) => harness.press(await harness.form(url), decision),
    snapshot: (ticketId) => snapshot(store.db, ticketId, { purged, enqueued }),
    async delivered() {
      return (await readdir(outbox, { recursive: true })).sort();
    },
    async close() {
      await smtp.stop();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

async function describeMail(db: Db, received: SmtpTestServer['received'][number]): Promise<ReceivedReviewMail> {
  const { parsed } = received;
  const messageId = parsed.messageId ?? '';
  const row = await db.selectFrom('mails').select(['kind', 'state']).where('message_id', '=', messageId).executeTakeFirstOrThrow();
  expect(row.state).toBe('sent');
  expect(received.envelope.to).toHaveLength(1);
  const text = parsed.text ?? '';
  const links = new Map<string, string>();
  for (const match of text.matchAll(/^([A-Z][A-Za-z ]+):\n {2}(https?:\/\/\S+)$/gm)) links.set(match[1]!, match[2]!);
  return {
    kind: row.kind,
    to: received.envelope.to[0]!,
    subject: parsed.subject ?? '',
    text,
    html: typeof parsed.html === 'string' ? parsed.html : '',
    raw: received.raw,
    messageId,
    inReplyTo: parsed.inReplyTo,
    references: parsed.references === undefined ? [] : ([] as string[]).concat(parsed.references),
    links,
  };
}

/** The one mail of `kind` to `user` among `mails`; fails when there is none or more than one. */
export function mailTo(mails: readonly ReceivedReviewMail[], kind: string, user: string): ReceivedReviewMail {
  const found = mails.filter((m) => m.kind === kind && m.to === `${user}@example.com`);
  expect(found, `${kind} mails to ${user}`).toHaveLength(1);
  return found[0]!;
}

/** `kind@user` of each mail, sorted: what was sent to whom, in one comparable list. */
export function sentTo(mails: readonly ReceivedReviewMail[]): string[] {
  return mails.map((m) => `${m.kind}@${m.to.replace('@example.com', '')}`).sort();
}

/** The URL a mail's button points at; fails when the mail has no such button. */
export function linkOf(mail: ReceivedReviewMail, label: string): string {
  const url = mail.links.get(label);
  expect(url, `"${label}" link in "${mail.subject}"`).toMatch(new RegExp(`^${PUBLIC_URL}/a/alink_[A-Za-z0-9_-]{43}(\\?|$)`));
  return url!;
}

async function snapshot(db: Db, ticketId: string, calls: { purged: string[]; enqueued: string[] }) {
  return {
    ticket: await db
      .selectFrom('tickets')
      .select(['state', 'severity', 'escalated_at', 'sla_due_at', 'sla_breached_at', 'updated_at'])
      .where('id', '=', ticketId)
      .executeTakeFirstOrThrow(),
    approvals: await db.selectFrom('approvals').selectAll().where('ticket_id', '=', ticketId).orderBy('id').execute(),
    events: await db.selectFrom('ticket_events').select(['seq', 'reason']).where('ticket_id', '=', ticketId).orderBy('seq').execute(),
    participants: await db
      .selectFrom('ticket_participants')
      .select(['user_name', 'role'])
      .where('ticket_id', '=', ticketId)
      .orderBy('user_name')
      .execute(),
    links: await db.selectFrom('action_links').select(['id', 'used_at']).where('ticket_id', '=', ticketId).orderBy('id').execute(),
    task: await db.selectFrom('review_tasks').selectAll().where('ticket_id', '=', ticketId).executeTakeFirst(),
    mails: await db.selectFrom('mails').select('id').where('ticket_id', '=', ticketId).orderBy('id').execute(),
    purged: calls.purged.filter((id) => id === ticketId).length,
    enqueued: calls.enqueued.filter((id) => id === ticketId).length,
  };
}
