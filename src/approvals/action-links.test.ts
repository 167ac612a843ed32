// The action-link store: tokens are random and stored hashed, CSRF tokens are bound to a link and a key,
// opens change nothing but opened_at, and a use is one transaction that either records everything or nothing.
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ticketAwaitingApproval } from '../../test/api-harness.js';
import { createTestStore, type TestStore } from '../../test/test-store.js';
import { addUser } from '../auth/user-store.js';
import type { Db } from '../db/database.js';
import { createLogger } from '../log/logger.js';
import { ticketManifest } from '../tickets/manifest.js';
import { createActionLink, csrfFor, findActionLink, recordOpen, useActionLink, type LinkUseDeps } from './action-links.js';

const KEY = Buffer.alloc(32, 1);
const TWO = [{ count: 2, groups: [], distinctGroups: false }];

let store: TestStore;
let db: Db;

beforeAll(async () => {
  store = await createTestStore();
  db = store.db;
  await addUser(db, { name: 'rita', email: 'rita@example.com', roles: ['requester'] });
  await addUser(db, { name: 'val', email: 'val@example.com', roles: ['approver'] });
});
afterAll(() => store?.close());

async function approveLink(required = TWO) {
  const { ticket } = await ticketAwaitingApproval(db, { requester: 'rita', approvers: ['val'] }, { required });
  const manifest = await ticketManifest(db, ticket.id);
  const made = await createActionLink(db, {
    ticketId: ticket.id,
    userName: 'val',
    email: 'val@example.com',
    purpose: 'approve',
    manifest,
    policyVersion: 'policy-v1',
    expiresAt: new Date(Date.now() + 3_600_000),
  });
  return { ticket, ...made };
}
const deps = (extra: Partial<LinkUseDeps> = {}): LinkUseDeps => ({ escalationSlaMinutes: 30, csrfKey: KEY, ...extra });
const approvalsOf = (ticketId: string) => db.selectFrom('approvals').selectAll().where('ticket_id', '=', ticketId).execute();

describe('action links', () => {
  it('makes 256-bit tokens marked alink_ and stores only their sha256', async () => {
    const first = await approveLink();
    const second = await approveLink();
    expect(first.token).toMatch(/^alink_[A-Za-z0-9_-]{43}$/);
    expect(first.token).not.toBe(second.token);
    const row = await db.selectFrom('action_links').selectAll().where('id', '=', first.id).executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(createHash('sha256').update(first.token).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(first.token.slice(6));
    expect(await findActionLink(db, first.token)).toMatchObject({ id: first.id });
  });

  it('finds nothing for malformed or unknown tokens', async () => {
    for (const token of ['', 'alink_', `alink_${'A'.repeat(43)}`, `alink_${'A'.repeat(44)}`, 'alink_../../etc', 42 as unknown as string]) {
      expect(await findActionLink(db, token)).toBeUndefined();
    }
  });

  it('refuses to make a confirm or approve link that is not bound to a manifest and a policy version', async () => {
    const { ticket } = await approveLink();
    const base = { ticketId: ticket.id, userName: 'val', email: 'val@example.com', expiresAt: new Date() };
    await expect(createActionLink(db, { ...base, purpose: 'approve', manifest: 'm' })).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(createActionLink(db, { ...base, purpose: 'confirm', policyVersion: 'p' })).rejects.toMatchObject({
      code: 'invalid_input',
    });
    await expect(createActionLink(db, { ...base, userName: 'rita', purpose: 'escalate' })).resolves.toMatchObject({
      id: expect.any(String),
    });
  });

  it('binds CSRF tokens to the link id and the key', () => {
    const id = '00000000-0000-4000-8000-000000000001';
    expect(csrfFor(id, KEY)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(csrfFor(id, KEY)).toBe(csrfFor(id, Buffer.from(KEY)));
    expect(csrfFor(id, Buffer.alloc(32, 2))).not.toBe(csrfFor(id, KEY));
    expect(csrfFor('00000000-0000-4000-8000-000000000002', KEY)).not.toBe(csrfFor(id, KEY));
  });

  it('records the first open and logs every open with ids, never the token', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger({ level: 'info', pretty: false, destination });
    const { id, token, ticket } = await approveLink();
    const first = new Date('2030-01-01T00:00:00Z');
    expect((await recordOpen(db, token, { log, now: first }))?.opened_at).toEqual(first);
    expect((await recordOpen(db, token, { log, now: new Date('2030-01-02T00:00:00Z') }))?.opened_at).toEqual(first);
    expect(await recordOpen(db, `alink_${'B'.repeat(43)}`, { log })).toBeUndefined();
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ msg: 'action link opened', linkId: id, ticketId: ticket.id, first: true }),
      expect.objectContaining({ msg: 'action link opened', linkId: id, ticketId: ticket.id, first: false }),
    ]);
    expect(lines.join('')).not.toContain(token);
    expect(await approvalsOf(ticket.id)).toEqual([]);
  });

  it('returns refusals as outcomes, not errors', async () => {
    const { token, id } = await approveLink();
    expect(await useActionLink(db, `alink_${'C'.repeat(43)}`, { csrf: 'x', decision: 'approve' }, deps())).toMatchObject({
      kind: 'refused',
      reason: 'unknown',
    });
    expect(await useActionLink(db, token, { csrf: 'x', decision: 'approve' }, deps())).toMatchObject({
      kind: 'refused',
      reason: 'bad_csrf',
    });
    const outcome = await useActionLink(
      db,
      token,
      { csrf: csrfFor(id, KEY), decision: 'approve' },
      deps({ now: () => new Date(Date.now() + 7_200_000) }),
    );
    expect(outcome).toMatchObject({ kind: 'refused', reason: 'expired', message: expect.stringContaining('expired') });
  });

  it('records nothing when the work after the decision fails: the approval and the use roll back together', async () => {
    const { ticket, token, id } = await approveLink([{ count: 1, groups: [], distinctGroups: false }]);
    const failing = deps({
      onApproved: () => {
        throw new Error('queue down');
      },
    });
    await expect(useActionLink(db, token, { csrf: csrfFor(id, KEY), decision: 'approve' }, failing)).rejects.toThrow('queue down');
    expect(await approvalsOf(ticket.id)).toEqual([]);
    expect((await findActionLink(db, token))?.used_at).toBeNull();
    const row = await db.selectFrom('tickets').select('state').where('id', '=', ticket.id).executeTakeFirstOrThrow();
    expect(row.state).toBe('awaiting_approval');
  });

  it('lets exactly one of two simultaneous uses of a link through', async () => {
    const { ticket, token, id } = await approveLink();
    const input = { csrf: csrfFor(id, KEY), decision: 'approve' as const };
    const outcomes = await Promise.all([useActionLink(db, token, input, deps()), useActionLink(db, token, input, deps())]);
    expect(outcomes.map((o) => (o.kind === 'refused' ? o.reason : o.kind)).sort()).toEqual(['decided', 'used']);
    expect(await approvalsOf(ticket.id)).toHaveLength(1);
  });
});
