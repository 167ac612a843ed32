import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendName, createTestStore, type TestStore } from '../../test/test-store.js';
import type { Role } from './roles.js';
import { addUser, disableUser, getUserByName, listUsers, setRoles } from './user-store.js';

let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
});
afterAll(async () => {
  await store.close();
});

const newUser = (name: string, roles: readonly Role[] = ['requester']) => addUser(store.db, { name, email: `${name}@example.com`, roles });

describe(`user store (${backendName})`, () => {
  it('adds a user with its roles and finds it by name', async () => {
    const added = await newUser('alice', ['requester', 'approver', 'requester']);
    expect(added).toMatchObject({ name: 'alice', email: 'alice@example.com', roles: ['requester', 'approver'], disabled_at: null });
    expect(added.created_at).toBeInstanceOf(Date);
    expect(await getUserByName(store.db, 'alice')).toEqual(added);
    expect(await getUserByName(store.db, 'nobody')).toBeUndefined();
  });

  it('refuses a second user with the same name as a conflict', async () => {
    await newUser('bob');
    const attempt = newUser('bob', ['admin']);
    await expect(attempt).rejects.toMatchObject({ code: 'conflict', status: 409 });
    await expect(attempt).rejects.toThrow('A user named "bob" already exists; choose another name.');
    expect((await getUserByName(store.db, 'bob'))?.roles).toEqual(['requester']);
  });

  it('refuses a bad name, naming the field and the value', async () => {
    for (const name of ['', 'Bob', 'bob smith', '-bob', '.hidden', 'a'.repeat(65), 'bö']) {
      const attempt = newUser(name);
      await expect(attempt, name).rejects.toMatchObject({ code: 'invalid_input' });
      await expect(attempt, name).rejects.toThrow(`Invalid user: name ${JSON.stringify(name)} must be 1 to 64 characters`);
    }
    expect((await newUser('a'.repeat(64))).name).toHaveLength(64);
    expect((await newUser('ci.bot_2-x')).name).toBe('ci.bot_2-x');
  });

  it('refuses a bad e-mail address, naming the field', async () => {
    const attempt = addUser(store.db, { name: 'carol', email: 'not-an-address', roles: ['auditor'] });
    await expect(attempt).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(attempt).rejects.toThrow('Invalid user: email "not-an-address" must be an e-mail address');
    expect(await getUserByName(store.db, 'carol')).toBeUndefined();
  });

  it('refuses an unknown role and an empty role list, naming the role', async () => {
    const attempt = addUser(store.db, { name: 'dave', email: 'dave@example.com', roles: ['requester', 'superuser' as Role] });
    await expect(attempt).rejects.toThrow(/^Invalid user: roles\[1\] "superuser" is not a role; valid roles are requester, approver/);
    await expect(newUser('dave', [])).rejects.toThrow('Invalid user: roles must name at least one of');
    expect(await getUserByName(store.db, 'dave')).toBeUndefined();
  });

  it('is backed by the database constraints even when the store is bypassed', async () => {
    const insert = (name: string, roles: string) =>
      sql`insert into users (id, name, email, roles) values (gen_random_uuid(), ${name}, 'x@example.com', ${roles}::text[])`.execute(
        store.db,
      );
    await expect(insert('Upper', '{requester}')).rejects.toThrow(/check constraint/);
    await expect(insert('root', '{superuser}')).rejects.toThrow(/check constraint/);
    await expect(insert('nobody', '{}')).rejects.toThrow(/check constraint/);
  });

  it('lists users by name, disabled ones too', async () => {
    await newUser('zed');
    await disableUser(store.db, 'zed');
    const names = (await listUsers(store.db)).map((u) => u.name);
    expect(names).toEqual([...names].sort());
    expect(names).toContain('zed');
  });

  it('disables a user once, keeping the first date when disabled again', async () => {
    await newUser('erin');
    const first = await disableUser(store.db, 'erin', new Date('2030-01-01T00:00:00Z'));
    expect(first.disabled_at?.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    const again = await disableUser(store.db, 'erin', new Date('2031-01-01T00:00:00Z'));
    expect(again.disabled_at?.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    await expect(disableUser(store.db, 'nobody')).rejects.toMatchObject({ code: 'not_found', message: 'User "nobody" does not exist.' });
  });

  it('replaces roles, validating them', async () => {
    await newUser('frank');
    expect((await setRoles(store.db, 'frank', ['operator', 'auditor'])).roles).toEqual(['operator', 'auditor']);
    await expect(setRoles(store.db, 'frank', ['boss' as Role])).rejects.toThrow(/^Invalid roles: \[0\] "boss" is not a role/);
    await expect(setRoles(store.db, 'nobody', ['admin'])).rejects.toMatchObject({ code: 'not_found' });
    expect((await getUserByName(store.db, 'frank'))?.roles).toEqual(['operator', 'auditor']);
  });
});
