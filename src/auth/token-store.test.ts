import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendName, createTestStore, type TestStore } from '../../test/test-store.js';
import { presentToken } from './identity-presenter.js';
import { authenticateToken, createToken, hashToken, listTokens, revokeToken } from './token-store.js';
import { addUser, disableUser } from './user-store.js';

let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
});
afterAll(async () => {
  await store.close();
});

const DAY_MS = 86_400_000;
let users = 0;
/** A fresh user per test, so tests do not see each other's tokens. */
async function newUser(roles: ('requester' | 'approver' | 'admin')[] = ['requester', 'approver']) {
  const name = `user${++users}`;
  return addUser(store.db, { name, email: `${name}@example.com`, roles });
}

describe(`token store (${backendName})`, () => {
  it('creates an alk_ token that authenticates as its user, with the roles it holds', async () => {
    const user = await newUser();
    const created = await createToken(store.db, user.name, { name: 'ci' });
    expect(created.token).toMatch(/^alk_[A-Za-z0-9_-]{43}$/);
    expect(created.prefix).toBe(created.token.slice(0, 12));
    const auth = await authenticateToken(store.db, created.token);
    expect(auth).toEqual({
      user: { id: user.id, name: user.name, email: user.email, roles: ['requester', 'approver'], groups: [] },
      tokenId: created.id,
      expiresAt: created.expiresAt,
    });
  });

  it('stores only the sha256 of the token, never the token or its secret part', async () => {
    const user = await newUser();
    const { token, id } = await createToken(store.db, user.name);
    const row = await store.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(hashToken(token));
    expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
    const stored = JSON.stringify(row);
    expect(stored).not.toContain(token);
    expect(stored).not.toContain(token.slice(12));
    expect(row.prefix).toBe(token.slice(0, 12));
  });

  it('expires after 90 days by default, or the days asked for, up to 3650', async () => {
    const user = await newUser();
    const now = new Date('2030-06-01T12:00:00Z');
    const byDefault = await createToken(store.db, user.name, { now });
    expect(byDefault.expiresAt.getTime() - now.getTime()).toBe(90 * DAY_MS);
    const longest = await createToken(store.db, user.name, { now, expiresInDays: 3650 });
    expect(longest.expiresAt.getTime() - now.getTime()).toBe(3650 * DAY_MS);
    for (const expiresInDays of [0, -1, 3651, 1.5]) {
      const attempt = createToken(store.db, user.name, { expiresInDays });
      await expect(attempt, String(expiresInDays)).rejects.toMatchObject({ code: 'invalid_input' });
      await expect(attempt, String(expiresInDays)).rejects.toThrow(`Invalid token options: expiresInDays ${expiresInDays} must be`);
    }
  });

  it('refuses a token once it has expired', async () => {
    const user = await newUser();
    const now = new Date();
    const { token, expiresAt } = await createToken(store.db, user.name, { expiresInDays: 1, now });
    expect(await authenticateToken(store.db, token, new Date(expiresAt.getTime() - 1000))).toBeDefined();
    expect(await authenticateToken(store.db, token, expiresAt)).toBeUndefined();
    expect(await authenticateToken(store.db, token, new Date(now.getTime() + 2 * DAY_MS))).toBeUndefined();
    const [listed] = await listTokens(store.db, user.name);
    expect(presentToken(listed!, new Date(now.getTime() + 2 * DAY_MS)).state).toBe('expired');
  });

  it('refuses a revoked token, revoked by id or by prefix, and keeps the first revocation date', async () => {
    const user = await newUser();
    const byId = await createToken(store.db, user.name);
    const byPrefix = await createToken(store.db, user.name);
    const revoked = await revokeToken(store.db, byId.id, new Date('2030-01-01T00:00:00Z'));
    expect(revoked).toMatchObject({ id: byId.id, user_name: user.name });
    expect(revoked.revoked_at?.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    expect((await revokeToken(store.db, byId.id.toUpperCase())).revoked_at?.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    expect(await authenticateToken(store.db, byId.token)).toBeUndefined();
    expect(await authenticateToken(store.db, byPrefix.token)).toBeDefined();
    expect((await revokeToken(store.db, byPrefix.prefix)).id).toBe(byPrefix.id);
    expect(await authenticateToken(store.db, byPrefix.token)).toBeUndefined();
  });

  it('refuses to revoke what it cannot name exactly, without repeating a pasted secret', async () => {
    const user = await newUser();
    const { token } = await createToken(store.db, user.name);
    const pasted = revokeToken(store.db, token);
    await expect(pasted).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(pasted).rejects.not.toThrow(token.slice(12));
    await expect(revokeToken(store.db, 'alk_00000000')).rejects.toMatchObject({ code: 'not_found' });
    await expect(revokeToken(store.db, '00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: 'not_found' });
    // Two tokens sharing a display prefix: improbable with random tokens, so made by hand.
    const twin = await createToken(store.db, user.name);
    await store.db.updateTable('api_tokens').set({ prefix: 'alk_twintwin' }).where('user_id', '=', user.id).execute();
    await expect(revokeToken(store.db, 'alk_twintwin')).rejects.toThrow('2 tokens start with alk_twintwin; revoke by id instead.');
    expect(await authenticateToken(store.db, twin.token)).toBeDefined();
  });

  it('refuses the tokens of a disabled user, and refuses to create one for them', async () => {
    const user = await newUser();
    const { token } = await createToken(store.db, user.name);
    await disableUser(store.db, user.name);
    expect(await authenticateToken(store.db, token)).toBeUndefined();
    await expect(createToken(store.db, user.name)).rejects.toMatchObject({ code: 'conflict' });
    const [listed] = await listTokens(store.db, user.name);
    expect(presentToken(listed!).state).toBe('user_disabled');
  });

  it('refuses malformed and unknown token strings without failing', async () => {
    const user = await newUser();
    const { token } = await createToken(store.db, user.name);
    const malformed = [
      '',
      'alk_',
      token.slice(0, -1),
      `${token}x`,
      ` ${token}`,
      `Bearer ${token}`,
      token.replace('alk_', 'ALK_'),
      `alk_${'+'.repeat(43)}`,
      hashToken(token),
      `alk_${'A'.repeat(43)}`,
      "alk_'; drop table users; --",
      undefined as unknown as string,
      42 as unknown as string,
    ];
    for (const candidate of malformed) expect(await authenticateToken(store.db, candidate), String(candidate)).toBeUndefined();
  });

  it('records when a token was last used, at most once a minute', async () => {
    const user = await newUser();
    const t0 = new Date('2030-03-01T10:00:00Z');
    const { token, id } = await createToken(store.db, user.name, { now: t0 });
    const lastUsed = async () => (await listTokens(store.db, user.name)).find((t) => t.id === id)?.last_used_at?.toISOString();
    expect(await lastUsed()).toBeUndefined();
    await authenticateToken(store.db, token, new Date(t0.getTime() + 1000));
    expect(await lastUsed()).toBe('2030-03-01T10:00:01.000Z');
    await authenticateToken(store.db, token, new Date(t0.getTime() + 30_000));
    expect(await lastUsed()).toBe('2030-03-01T10:00:01.000Z');
    await authenticateToken(store.db, token, new Date(t0.getTime() + 61_000));
    expect(await lastUsed()).toBe('2030-03-01T10:01:01.000Z');
  });

  it('lists tokens newest first, per user or all, without hashes', async () => {
    const a = await newUser();
    const b = await newUser(['admin']);
    const first = await createToken(store.db, a.name, { name: 'laptop', now: new Date('2030-01-01T00:00:00Z') });
    const second = await createToken(store.db, a.name, { now: new Date('2030-01-02T00:00:00Z') });
    const other = await createToken(store.db, b.name);
    const ofA = await listTokens(store.db, a.name);
    expect(ofA.map((t) => [t.id, t.name, t.user_name])).toEqual([
      [second.id, null, a.name],
      [first.id, 'laptop', a.name],
    ]);
    expect((await listTokens(store.db)).map((t) => t.id)).toEqual(expect.arrayContaining([first.id, second.id, other.id]));
    for (const t of await listTokens(store.db)) expect(t).not.toHaveProperty('token_hash');
    expect(JSON.stringify(await listTokens(store.db))).not.toContain(hashToken(first.token));
    await expect(listTokens(store.db, 'nobody')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('refuses to create a token for an unknown user or with an unknown option', async () => {
    await expect(createToken(store.db, 'nobody')).rejects.toMatchObject({ code: 'not_found', message: 'User "nobody" does not exist.' });
    const user = await newUser();
    await expect(createToken(store.db, user.name, { label: 'x' } as never)).rejects.toThrow(/Unrecognized key: "label"/);
  });
});
