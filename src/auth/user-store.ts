import { recordAudit } from '../audit/audit-log.js';
import { inTransaction } from '../db/in-transaction.js';
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/database.js';
import type { UserRow } from '../db/schema.js';
import { AirlockError } from '../errors.js';
import type { Role } from './roles.js';
import { newUserSchema, parseInput, rolesSchema } from './user-schema.js';

export interface NewUser {
  /** Lower-case handle, 1 to 64 characters of a-z, 0-9, ".", "_" or "-". */
  name: string;
  email: string;
  /** At least one role; duplicates collapse. */
  roles: readonly Role[];
  /** Approver groups, for policies and pipelines that name groups. */
  groups?: readonly string[];
}

/** Who changed users and tokens when the caller does not say: the command line, run by an operator. */
export const SYSTEM_ACTOR = 'cli';

/** Adds a user. A name already taken is `conflict`; a bad name, e-mail or role is `invalid_input` naming it. */
export async function addUser(db: Db, user: NewUser, options: { actor?: string } = {}): Promise<UserRow> {
  const valid = parseInput(newUserSchema, user, 'user');
  return inTransaction(db, async (trx) => {
    // `on conflict do nothing` rather than catching the unique violation: it works inside a caller's
    // transaction too, which a failed statement would abort.
    const row = await trx
      .insertInto('users')
      .values({ id: randomUUID(), name: valid.name, email: valid.email, roles: valid.roles, groups: valid.groups, disabled_at: null })
      .onConflict((oc) => oc.column('name').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new AirlockError('conflict', `A user named "${valid.name}" already exists; choose another name.`);
    await recordAudit(trx, {
      kind: 'user.added',
      actor: options.actor ?? SYSTEM_ACTOR,
      details: { user: row.name, roles: row.roles, groups: row.groups },
    });
    return row;
  });
}

/** The user with that name, disabled or not; undefined when there is none. */
export async function getUserByName(db: Db, name: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
}

/** Every user, disabled ones included, by name. */
export async function listUsers(db: Db): Promise<UserRow[]> {
  return db.selectFrom('users').selectAll().orderBy('name').execute();
}

/**
 * Disables a user: their tokens stop authenticating at once (the tokens stay, so the record of what was
 * issued survives). Disabling a disabled user changes nothing and keeps the original date.
 */
export async function disableUser(db: Db, name: string, now = new Date(), actor = SYSTEM_ACTOR): Promise<UserRow> {
  return inTransaction(db, async (trx) => {
    const row = await trx
      .updateTable('users')
      .set({ disabled_at: now })
      .where('name', '=', name)
      .where('disabled_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (!row) return requireUser(trx, name);
    await recordAudit(trx, { kind: 'user.disabled', actor, details: { user: row.name } });
    return row;
  });
}

/** Replaces a user's roles. */
export async function setRoles(db: Db, name: string, roles: readonly Role[], actor = SYSTEM_ACTOR): Promise<UserRow> {
  const valid = parseInput(rolesSchema, roles, 'roles');
  return inTransaction(db, async (trx) => {
    const row = await trx.updateTable('users').set({ roles: valid }).where('name', '=', name).returningAll().executeTakeFirst();
    if (!row) throw userNotFound(name);
    await recordAudit(trx, { kind: 'user.roles_changed', actor, details: { user: row.name, roles: row.roles } });
    return row;
  });
}

/** The user with that name; `not_found` when there is none. */
export async function requireUser(db: Db, name: string): Promise<UserRow> {
  const row = await getUserByName(db, name);
  if (!row) throw userNotFound(name);
  return row;
}

function userNotFound(name: string): AirlockError {
  return new AirlockError('not_found', `User "${name}" does not exist.`);
}
