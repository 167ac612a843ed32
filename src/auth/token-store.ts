import { recordAudit } from '../audit/audit-log.js';
import { inTransaction } from '../db/in-transaction.js';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../db/database.js';
import type { ApiTokenRow } from '../db/schema.js';
import { AirlockError } from '../errors.js';
import type { Role } from './roles.js';
import { parseInput } from './user-schema.js';
import { requireUser, SYSTEM_ACTOR } from './user-store.js';

/** Marks Airlock tokens, so that secret scanners and people recognise one that leaked. */
const TOKEN_MARK = 'alk_';
/** `alk_` and the base64url of 32 random bytes (43 characters, no padding). */
const TOKEN_PATTERN = /^alk_[A-Za-z0-9_-]{43}$/;
/** How much of a token is kept in clear for display: `alk_` and 8 characters (48 of its 256 bits). */
const PREFIX_LENGTH = 12;
const PREFIX_PATTERN = /^alk_[A-Za-z0-9_-]{8}$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** last_used_at is refreshed at most this often per token. */
const LAST_USED_RESOLUTION_MS = 60_000;
const DAY_MS = 86_400_000;

export const DEFAULT_TOKEN_DAYS = 90;
export const MAX_TOKEN_DAYS = 3650;
export const MAX_TOKEN_LABEL_LENGTH = 64;

export interface CreateTokenOptions {
  /** Whole days until the token stops working: 1 to 3650, 90 when absent. */
  expiresInDays?: number;
  /** A label to tell the user's tokens apart ("ci", "laptop"). */
  name?: string;
  /** The creation time; tests move it. */
  now?: Date;
  /** Who created it, for the audit trail. */
  actor?: string;
}

const tokenOptionsSchema = z.strictObject({
  expiresInDays: z
    .number()
    .int({ error: 'must be a whole number of days' })
    .min(1, { error: `must be from 1 to ${MAX_TOKEN_DAYS}` })
    .max(MAX_TOKEN_DAYS, { error: `must be from 1 to ${MAX_TOKEN_DAYS}` })
    .default(DEFAULT_TOKEN_DAYS),
  name: z
    .string()
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(MAX_TOKEN_LABEL_LENGTH, { error: `must be at most ${MAX_TOKEN_LABEL_LENGTH} characters` })
    .optional(),
});

/** What creating a token gives back: the only time `token` exists outside the caller. */
export interface CreatedToken {
  token: string;
  id: string;
  prefix: string;
  expiresAt: Date;
}

/** Who a valid token belongs to. */
export interface TokenAuthentication {
  user: { id: string; name: string; email: string; roles: Role[]; groups: string[] };
  tokenId: string;
  /** When the token stops working (a cache must not outlive it). */
  expiresAt: Date;
}

/** A token as listed: everything but its hash, with its user's name. */
export type TokenInfo = Omit<ApiTokenRow, 'token_hash'> & { user_name: string; user_disabled_at: Date | null };

/**
 * Creates a token for an enabled user. The token is returned once and only its sha256 is stored; whoever
 * calls this must hand it to the user and not keep or log it.
 */
export async function createToken(db: Db, userName: string, options: CreateTokenOptions = {}): Promise<CreatedToken> {
  const { now = new Date(), actor = SYSTEM_ACTOR, ...rest } = options;
  const valid = parseInput(tokenOptionsSchema, rest, 'token options');
  const user = await requireUser(db, userName);
  if (user.disabled_at) throw new AirlockError('conflict', `User "${user.name}" is disabled; a disabled user cannot be given a token.`);
  const token = TOKEN_MARK + randomBytes(32).toString('base64url');
  const id = randomUUID();
  const prefix = token.slice(0, PREFIX_LENGTH);
  const expiresAt = new Date(now.getTime() + valid.expiresInDays * DAY_MS);
  await inTransaction(db, async (trx) => {
    await trx
      .insertInto('api_tokens')
      .values({
        id,
        user_id: user.id,
        name: valid.name ?? null,
        token_hash: hashToken(token),
        prefix,
        created_at: now,
        expires_at: expiresAt,
        revoked_at: null,
        last_used_at: null,
      })
      .execute();
    await recordAudit(trx, {
      kind: 'token.created',
      actor,
      details: { user: user.name, tokenId: id, prefix, expiresAt: expiresAt.toISOString() },
    });
  });
  return { token, id, prefix, expiresAt };
}

/**
 * The user a presented token belongs to, or undefined when it is malformed, unknown, revoked, expired, or
 * its user is disabled; the reasons are not told apart, so a caller cannot leak which one it was. The
 * secret is never compared as a string: its hash is looked up through the unique index.
 */
export async function authenticateToken(db: Db, token: string, now = new Date()): Promise<TokenAuthentication | undefined> {
  if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) return undefined;
  const row = await db
    .selectFrom('api_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .select(['t.id as token_id', 't.prefix', 't.last_used_at', 't.expires_at', 'u.id', 'u.name', 'u.email', 'u.roles', 'u.groups'])
    .where('t.token_hash', '=', hashToken(token))
    .where('t.revoked_at', 'is', null)
    .where('t.expires_at', '>', now)
    .where('u.disabled_at', 'is', null)
    .executeTakeFirst();
  if (!row) return undefined;
  const staleBefore = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
  if (!row.last_used_at || row.last_used_at <= staleBefore) {
    // Guarded, so that of many concurrent requests at most one writes; that one also audits the use, so the
    // trail shows each token in use at this resolution without a record per request.
    await inTransaction(db, async (trx) => {
      const used = await trx
        .updateTable('api_tokens')
        .set({ last_used_at: now })
        .where('id', '=', row.token_id)
        .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', staleBefore)]))
        .executeTakeFirst();
      if (Number(used.numUpdatedRows) > 0) {
        await recordAudit(trx, { kind: 'auth.token_used', actor: row.name, details: { tokenId: row.token_id, prefix: row.prefix } });
      }
    });
  }
  return {
    user: { id: row.id, name: row.name, email: row.email, roles: row.roles, groups: row.groups },
    tokenId: row.token_id,
    expiresAt: row.expires_at,
  };
}

/**
 * Revokes a token, named by its id or by its display prefix (refused when the prefix is shared). Revoking
 * a revoked token changes nothing and keeps the original date.
 */
export async function revokeToken(db: Db, idOrPrefix: string, now = new Date(), actor = SYSTEM_ACTOR): Promise<TokenInfo> {
  const ref = idOrPrefix.trim();
  const byId = UUID_PATTERN.test(ref);
  // The reference is not repeated in the message: someone may have pasted the whole secret.
  if (!byId && !PREFIX_PATTERN.test(ref)) {
    throw new AirlockError(
      'invalid_input',
      'A token is named by its id (a uuid) or its prefix (alk_ and 8 characters), as tokens are listed.',
    );
  }
  const matches = await selectTokens(db)
    .where(byId ? 't.id' : 't.prefix', '=', byId ? ref.toLowerCase() : ref)
    .execute();
  const [target, ...others] = matches;
  if (!target) throw new AirlockError('not_found', `No token ${ref} exists.`);
  if (others.length > 0) throw new AirlockError('invalid_input', `${matches.length} tokens start with ${ref}; revoke by id instead.`);
  await inTransaction(db, async (trx) => {
    const revoked = await trx
      .updateTable('api_tokens')
      .set({ revoked_at: now })
      .where('id', '=', target.id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (Number(revoked.numUpdatedRows) > 0) {
      await recordAudit(trx, { kind: 'token.revoked', actor, details: { tokenId: target.id, prefix: target.prefix } });
    }
  });
  return selectTokens(db).where('t.id', '=', target.id).executeTakeFirstOrThrow();
}

/** Tokens, newest first, of one user or of everyone. Never their hashes. */
export async function listTokens(db: Db, userName?: string): Promise<TokenInfo[]> {
  if (userName === undefined) return selectTokens(db).orderBy('t.created_at', 'desc').execute();
  const user = await requireUser(db, userName);
  return selectTokens(db).where('t.user_id', '=', user.id).orderBy('t.created_at', 'desc').execute();
}

/** The hex sha256 stored in place of a token. A fast hash suffices: the token has 256 random bits. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function selectTokens(db: Db) {
  return db
    .selectFrom('api_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .select([
      't.id',
      't.user_id',
      'u.name as user_name',
      'u.disabled_at as user_disabled_at',
      't.name',
      't.prefix',
      't.created_at',
      't.expires_at',
      't.revoked_at',
      't.last_used_at',
    ]);
}
