import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestStore, type TestStore } from '../../test/test-store.js';
import { addUser, disableUser } from './user-store.js';
import { csrfMatches, endSession, pruneSessions, resolveSession, SESSION_IDLE_MS, SESSION_MAX_MS, startSession } from './web-sessions.js';

let store: TestStore;
const t0 = new Date('2026-11-28T09:00:00Z');
const later = (ms: number) => new Date(t0.getTime() + ms);

beforeAll(async () => {
  store = await createTestStore();
  await addUser(store.db, { name: 'carol', email: 'carol@example.com', roles: ['approver'] });
});
afterAll(() => store?.close());

describe('web sessions', () => {
  it('stores only the hash of the cookie and finds the session by the cookie', async () => {
    const { cookie, session } = await startSession(store.db, { name: 'carol', via: 'token' }, t0);
    const rows = await store.db.selectFrom('web_sessions').selectAll().where('id', '=', session.id).execute();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(cookie);
    expect((await resolveSession(store.db, cookie, later(1000)))?.caller).toEqual({ name: 'carol', roles: ['approver'], groups: [] });
    expect(await resolveSession(store.db, cookie.slice(0, -1) + (cookie.endsWith('A') ? 'B' : 'A'), later(1000))).toBeUndefined();
  });

  it('slides the idle deadline with use, but never past the absolute end', async () => {
    const { cookie } = await startSession(store.db, { name: 'carol', via: 'token' }, t0);
    let at = t0.getTime();
    // A request every 20 minutes keeps it alive...
    while (at + 20 * 60_000 < t0.getTime() + SESSION_MAX_MS) {
      at += 20 * 60_000;
      expect(await resolveSession(store.db, cookie, new Date(at)), new Date(at).toISOString()).toBeDefined();
    }
    // ...until the absolute end.
    expect(await resolveSession(store.db, cookie, later(SESSION_MAX_MS + 1))).toBeUndefined();
  });

  it('ends after the idle time without requests', async () => {
    const { cookie } = await startSession(store.db, { name: 'carol', via: 'token' }, t0);
    expect(await resolveSession(store.db, cookie, later(SESSION_IDLE_MS + 1))).toBeUndefined();
  });

  it('keeps the roles of an OIDC sign-in, and a disabled local user of that name is still locked out', async () => {
    const { cookie } = await startSession(store.db, { name: 'dora', via: 'oidc', roles: ['auditor'] }, t0);
    expect((await resolveSession(store.db, cookie, later(1)))?.caller.roles).toEqual(['auditor']);
    await addUser(store.db, { name: 'dora', email: 'dora@example.com', roles: ['requester'] });
    await disableUser(store.db, 'dora', later(2));
    expect(await resolveSession(store.db, cookie, later(3))).toBeUndefined();
  });

  it('signs out once, audited, and prunes what ended a day ago', async () => {
    const { cookie, session } = await startSession(store.db, { name: 'carol', via: 'token' }, t0);
    await endSession(store.db, session, later(1));
    await endSession(store.db, session, later(2));
    expect(await resolveSession(store.db, cookie, later(3))).toBeUndefined();
    const ends = await store.db.selectFrom('audit_log').select('details').where('kind', '=', 'session.ended').execute();
    expect(ends.filter((e) => (e.details as { session: string }).session === session.id)).toHaveLength(1);
    const pruned = await pruneSessions(store.db, later(SESSION_MAX_MS + 86_400_000 + 1));
    expect(pruned).toBeGreaterThanOrEqual(1);
    expect(await store.db.selectFrom('web_sessions').select('id').where('id', '=', session.id).executeTakeFirst()).toBeUndefined();
  });

  it('compares CSRF tokens exactly', async () => {
    const { session } = await startSession(store.db, { name: 'carol', via: 'token' }, t0);
    expect(csrfMatches(session, session.csrf)).toBe(true);
    expect(csrfMatches(session, session.csrf + 'x')).toBe(false);
    expect(csrfMatches(session, undefined)).toBe(false);
    expect(csrfMatches(session, '')).toBe(false);
  });
});
