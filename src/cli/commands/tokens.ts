import { presentToken } from '../../auth/identity-presenter.js';
import {
  createToken,
  DEFAULT_TOKEN_DAYS,
  listTokens,
  MAX_TOKEN_DAYS,
  MAX_TOKEN_LABEL_LENGTH,
  revokeToken,
} from '../../auth/token-store.js';
import { openStore, storeConfigFrom } from '../../db/database.js';
import { UsageError, type CliContext, cliActor } from '../cli-context.js';

/**
 * `airlock tokens create <name> [--expires-days N] [--label L]`: prints the new token alone on stdout, so
 * that `$(airlock tokens create ci)` captures exactly the secret; everything else goes to stderr.
 */
export async function tokensCreateCommand(
  ctx: CliContext,
  options: { user: string; expiresDays: string | undefined; label: string | undefined },
): Promise<number> {
  const expiresInDays = parseDays(options.expiresDays);
  if (options.label !== undefined && (options.label.trim() === '' || options.label.length > MAX_TOKEN_LABEL_LENGTH)) {
    throw new UsageError(`--label must be 1 to ${MAX_TOKEN_LABEL_LENGTH} characters.`);
  }
  const store = await openStore(storeConfigFrom(ctx.config));
  try {
    const created = await createToken(store.db, options.user, {
      actor: cliActor(),
      expiresInDays,
      ...(options.label === undefined ? {} : { name: options.label }),
    });
    ctx.stdout.write(`${created.token}\n`);
    ctx.stderr.write(
      `Created token ${created.prefix} (id ${created.id}) for ${options.user}, expiring ${created.expiresAt.toISOString()}. ` +
        'It is shown only this once: store it now.\n',
    );
    return 0;
  } finally {
    await store.close();
  }
}

/** `airlock tokens list [<name>] [--json]`: prefixes, states and dates; never a secret or a hash. */
export async function tokensListCommand(ctx: CliContext, options: { user: string | undefined; json: boolean }): Promise<number> {
  const store = await openStore(storeConfigFrom(ctx.config));
  try {
    const now = new Date();
    const tokens = (await listTokens(store.db, options.user)).map((t) => presentToken(t, now));
    if (options.json) {
      for (const token of tokens) ctx.stdout.write(JSON.stringify(token) + '\n');
      return 0;
    }
    if (tokens.length === 0) ctx.stdout.write('No tokens.\n');
    for (const t of tokens) {
      const used = t.lastUsedAt ? `used ${t.lastUsedAt}` : 'never used';
      ctx.stdout.write(
        `${t.prefix}  ${t.state.padEnd(13)} ${t.user.padEnd(20)} expires ${t.expiresAt}  ${used.padEnd(29)} ${t.id}  ${t.label ?? ''}`.trimEnd() +
          '\n',
      );
    }
    return 0;
  } finally {
    await store.close();
  }
}

/** `airlock tokens revoke <id-or-prefix>`. */
export async function tokensRevokeCommand(ctx: CliContext, options: { ref: string }): Promise<number> {
  const store = await openStore(storeConfigFrom(ctx.config));
  try {
    const token = presentToken(await revokeToken(store.db, options.ref, new Date(), cliActor()));
    ctx.stdout.write(`Token ${token.prefix} (id ${token.id}) of ${token.user} is revoked since ${token.revokedAt}.\n`);
    return 0;
  } finally {
    await store.close();
  }
}

function parseDays(value: string | undefined): number {
  if (value === undefined) return DEFAULT_TOKEN_DAYS;
  const days = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(days >= 1 && days <= MAX_TOKEN_DAYS)) {
    throw new UsageError(`--expires-days must be a whole number of days from 1 to ${MAX_TOKEN_DAYS}, got "${value}".`);
  }
  return days;
}
