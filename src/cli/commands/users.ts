import { presentUser } from '../../auth/identity-presenter.js';
import { parseRoles, ROLES } from '../../auth/roles.js';
import { newUserSchema, parseInput } from '../../auth/user-schema.js';
import { addUser, disableUser, listUsers } from '../../auth/user-store.js';
import { openStore, storeConfigFrom } from '../../db/database.js';
import { UsageError, type CliContext, cliActor } from '../cli-context.js';

/** `airlock users add <name> --email E --roles r1,r2`. */
export async function usersAddCommand(
  ctx: CliContext,
  options: { name: string; email: string | undefined; roles: string | undefined; groups?: string | undefined },
): Promise<number> {
  if (options.email === undefined) throw new UsageError('"airlock users add" needs --email ADDRESS.');
  if (options.roles === undefined)
    throw new UsageError(`"airlock users add" needs --roles, a comma-separated list of ${ROLES.join(', ')}.`);
  // Checked before the store is opened, so a typo costs nothing and creates nothing.
  const groups =
    options.groups === undefined
      ? []
      : options.groups
          .split(',')
          .map((g) => g.trim())
          .filter(Boolean);
  const user = parseInput(newUserSchema, { name: options.name, email: options.email, roles: parseRoles(options.roles), groups }, 'user');
  const store = await openStore(storeConfigFrom(ctx.config));
  try {
    const row = await addUser(store.db, user, { actor: cliActor() });
    ctx.stdout.write(
      `Added user ${row.name} <${row.email}> with roles ${row.roles.join(', ')}${row.groups.length ? ` in groups ${row.groups.join(', ')}` : ''}.\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

/** `airlock users list [--json]`: every user by name, disabled ones marked. */
export async function usersListCommand(ctx: CliContext, options: { json: boolean }): Promise<number> {
  const store = await openStore(storeConfigFrom(ctx.config));
  try {
    const users = (await listUsers(store.db)).map(presentUser);
    if (options.json) {
      for (const user of users) ctx.stdout.write(JSON.stringify(user) + '\n');
      return 0;
    }
    if (users.length === 0) ctx.stdout.write('No users.\n');
    for (const u of users) {
      const status = u.disabledAt ? `  disabled ${u.disabledAt}` : '';
      ctx.stdout.write(`${u.name.padEnd(20)} ${u.roles.join(',').padEnd(28)} ${u.email.padEnd(30)} ${u.createdAt}${status}\n`);
    }
    return 0;
  } finally {
    await store.close();
  }
}

/** `airlock users disable <name>`: the user's tokens stop working at once. */
export async function usersDisableCommand(ctx: CliContext, options: { name: string }): Promise<number> {
  const store = await openStore(storeConfigFrom(ctx.config));
  try {
    const row = await disableUser(store.db, options.name, new Date(), cliActor());
    ctx.stdout.write(`User ${row.name} is disabled since ${row.disabled_at?.toISOString()}; their API tokens no longer work.\n`);
    return 0;
  } finally {
    await store.close();
  }
}
