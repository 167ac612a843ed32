// `airlock outbox` run as an operator runs it (bin/airlock.js in a child process, test/run-cli.ts), over
// mails written to the workspace's store the way the service writes them: enqueueMail, then the outbox
// worker, which without SMTP_URL keeps them local.
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeResult, makeWorkspace, type CliResult, type Workspace } from '../../../test/run-cli.js';
import { backendName } from '../../../test/test-store.js';
import { openStore, type Store } from '../../db/database.js';
import { enqueueMail } from '../../notify/outbox.js';
import { OutboxWorker } from '../../notify/outbox-worker.js';
import { acknowledgement, expired } from '../../notify/templates.js';
import { createTicket } from '../../tickets/ticket-store.js';

// Each CLI run is a fresh Node process (tsx plus the store): seconds, not milliseconds.
const SLOW = 180_000;
const ESCALATE_URL = 'http://127.0.0.1:8080/links/escalate-0123456789abcdef';

function expectExit(result: CliResult, code: number): void {
  expect(result.code, describeResult(result)).toBe(code);
}

/** The workspace's own store; the embedded one only opens while no child holds it. */
function openWorkspaceStore(ws: Workspace): Promise<Store> {
  const url = ws.env.DATABASE_URL;
  return openStore(url ? { kind: 'postgres', url } : { kind: 'embedded', dataDir: path.join(ws.dir, '.airlock') });
}

describe(`airlock outbox (${backendName} store)`, () => {
  let ws: Workspace;
  const mails: {
    ack: { id: string; messageId: string };
    expiry: { id: string; messageId: string };
    other: { id: string; messageId: string };
  } = {} as never;

  beforeAll(async () => {
    ws = await makeWorkspace();
    const empty = await ws.run(['outbox']);
    expectExit(empty, 0);
    expect(empty.stdout).toBe('No mails.\n');
    const store = await openWorkspaceStore(ws);
    try {
      const ticket = {
        pipeline: 'example-local',
        requester: 'alice',
        purpose: 'Monthly report',
        deliveryMode: 'per-item',
        policy: 'default',
      } as const;
      const first = await createTicket(store.db, ticket);
      const second = await createTicket(store.db, { ...ticket, purpose: 'Second' });
      const facts = { ref: 'T-000001', pipeline: 'example-local', purpose: 'Monthly report', requester: 'alice', state: 'requested' };
      const to = { address: 'alice@example.com', user: 'alice' };
      mails.ack = await enqueueMail(store.db, {
        ticketId: first.id,
        kind: 'acknowledgement',
        to,
        ...acknowledgement({ ticket: facts, talkToHumanUrl: ESCALATE_URL }),
      });
      mails.expiry = await enqueueMail(store.db, {
        ticketId: first.id,
        kind: 'expired',
        to,
        ...expired({ ticket: facts, deadline: new Date('2030-01-01T00:00:00Z') }),
      });
      mails.other = await enqueueMail(store.db, {
        ticketId: second.id,
        kind: 'acknowledgement',
        to: { address: 'bob@example.com' },
        subject: 'Other',
        text: 'Other.',
        html: '<p>Other.</p>',
      });
      expect(
        await new OutboxWorker({ db: store.db, from: 'airlock@localhost', logger: pino({ level: 'silent' }) }).runOnce(),
      ).toMatchObject({ local: 3 });
      // One that a relay refused for good, as the worker leaves it.
      await store.db
        .updateTable('mails')
        .set({ state: 'failed', attempts: 8, last_error: 'RCPT TO: 550 5.1.1 No such user' })
        .where('id', '=', mails.other.id)
        .execute();
    } finally {
      await store.close();
    }
  }, SLOW);
  afterAll(async () => {
    await ws?.cleanup();
  });

  it(
    'lists every mail newest first, with state, recipient, subject, attempts and last error',
    async () => {
      const result = await ws.run(['outbox']);
      expectExit(result, 0);
      const ids = [...result.stdout.matchAll(/ ([0-9a-f-]{36})\n/g)].map((m) => m[1]);
      expect(ids).toEqual([mails.other.id, mails.expiry.id, mails.ack.id]);
      expect(result.stdout).toMatch(
        new RegExp(
          `failed +T-000002 +acknowledgement +bob@example.com +${mails.other.id}\\n {4}Other\\n {4}8 attempt\\(s\\) · last error: RCPT TO: 550 5.1.1 No such user\\n`,
        ),
      );
      expect(result.stdout).toMatch(/local +T-000001 +acknowledgement +alice@example.com/);
      expect(result.stdout).toContain('[Airlock T-000001] Request received: example-local');
      expect(result.stdout).toContain('Read one with: airlock outbox show <id>');
    },
    SLOW,
  );

  it(
    "--json prints one object per mail, without bodies; --ticket keeps one ticket's mails",
    async () => {
      const all = await ws.run(['outbox', '--json']);
      expectExit(all, 0);
      const listed = all.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(listed.map((m) => m.id)).toEqual([mails.other.id, mails.expiry.id, mails.ack.id]);
      expect(listed[2]).toMatchObject({
        messageId: mails.ack.messageId,
        threadId: mails.ack.messageId,
        ticket: 'T-000001',
        kind: 'acknowledgement',
        to: 'alice@example.com',
        toUser: 'alice',
        state: 'local',
        attempts: 0,
        lastError: null,
        sentAt: null,
      });
      expect(listed[1]).toMatchObject({ threadId: mails.ack.messageId });
      expect(all.stdout).not.toContain(ESCALATE_URL);

      const one = await ws.run(['outbox', '--ticket', 'T-000001', '--json']);
      expectExit(one, 0);
      expect(
        one.stdout
          .trim()
          .split('\n')
          .map((line) => (JSON.parse(line) as { id: string }).id),
      ).toEqual([mails.expiry.id, mails.ack.id]);

      const unknown = await ws.run(['outbox', '--ticket', 'T-000099']);
      expectExit(unknown, 2);
      expect(unknown.stderr).toContain('Ticket T-000099 does not exist.');
    },
    SLOW,
  );

  it(
    '`outbox show` prints the plain-text body, links included, by id or by Message-ID',
    async () => {
      const byId = await ws.run(['outbox', 'show', mails.ack.id]);
      expectExit(byId, 0);
      expect(byId.stdout).toContain(
        `Message-ID: ${mails.ack.messageId}\nTo: alice <alice@example.com>\nSubject: [Airlock T-000001] Request received: example-local\n`,
      );
      expect(byId.stdout).toContain(`Talk to a human:\n  ${ESCALATE_URL}\n`);
      expect(byId.stdout).not.toContain('<p');

      for (const ref of [mails.ack.messageId, mails.ack.messageId.slice(1, -1)]) {
        const byMessageId = await ws.run(['outbox', 'show', ref]);
        expectExit(byMessageId, 0);
        expect(byMessageId.stdout).toBe(byId.stdout);
      }

      const missing = await ws.run(['outbox', 'show', '<nope@airlock.local>']);
      expectExit(missing, 2);
      expect(missing.stderr).toContain('No mail has the id or Message-ID "<nope@airlock.local>"');

      const wrong = await ws.run(['outbox', 'send']);
      expectExit(wrong, 2);
      expect(wrong.stderr).toContain('Use "airlock outbox [--ticket T-000123] [--json]" or "airlock outbox show <id-or-message-id>".');
    },
    SLOW,
  );
});
