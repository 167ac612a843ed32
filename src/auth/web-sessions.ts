import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { recordAudit } from '../audit/audit-log.js';
import type { Db } from '../db/database.js';
import { AirlockError } from '../errors.js';
import type { Caller } from '../tickets/ticket-access.js';
import type { Role } from './roles.js';
import { getUserByName } from './user-store.js';

/** A session ends this long after its last request. */
export const SESSION_IDLE_MS = 30 * 60_000;
/** And at the latest this long after sign-in, however busy. */
export const SESSION_MAX_MS = 12 * 3_600_000;
/** `idle_until` is moved forward at most this often, so a busy page does not write on every request. */
const TOUCH_RESOLUTION_MS = 60_000;

/** A signed-in browser: who it is now, and the CSRF token its forms must carry. */
export interface WebSession {
  id: string;
  caller: Caller;
  via: 'token' | 'oidc';
  csrf: string;
  expiresAt: Date;
}

export interface StartedSession {
  /** The cookie value: returned once, only its sha256 is stored. */
  cookie: string;
  session: WebSession;
}

/**
 * Starts a session for a user who just proved who they are (an API token or an OIDC sign-in). API-token
 * sessions take roles from the users table on every request; OIDC sessions keep `roles` from the ID token.
 */
export async function startSession(
  db: Db,
  who: { name: string; via: 'token' | 'oidc'; roles?: readonly Role[] },
  now = new Date(),
): Promise<StartedSession> {
  // A user disabled in Airlock stays out, whatever an identity provider says about them.
  const user = await getUserByName(db, who.name);
  if (user?.disabled_at || (who.via === 'token' && !user)) {
    throw new AirlockError('unauthorized', `The Airlock account ${who.name} is disabled or unknown; ask an administrator to enable it.`);
  }
  const cookie = randomBytes(32).toString('base64url');
  const csrf = randomBytes(32).toString('base64url');
  const id = randomUUID();
  const expiresAt = new Date(now.getTime() + SESSION_MAX_MS);
  await db
    .insertInto('web_sessions')
    .values({
      id,
      id_hash: hashSessionCookie(cookie),
      user_name: who.name,
      via: who.via,
      roles: who.via === 'oidc' ? JSON.stringify(who.roles ?? []) : null,
      csrf,
      idle_until: new Date(now.getTime() + SESSION_IDLE_MS),
      expires_at: expiresAt,
    })
    .execute();
  await recordAudit(db, { kind: 'session.started', actor: who.name, details: { session: id, via: who.via } }, now);
  const session = await resolveSession(db, cookie, now);
  if (!session) throw new Error('A session just written could not be read back.');
  return { cookie, session };
}

/**
 * The session a cookie value belongs to, or undefined when it is unknown, ended, idle too long, past its
 * end, or its user is disabled or gone. A live session's idle deadline moves forward.
 */
export async function resolveSession(db: Db, cookie: string | undefined, now = new Date()): Promise<WebSession | undefined> {
  if (!cookie || !/^[A-Za-z0-9_-]{43}$/.test(cookie)) return undefined;
  const row = await db
    .selectFrom('web_sessions')
    .selectAll()
    .where('id_hash', '=', hashSessionCookie(cookie))
    .where('ended_at', 'is', null)
    .where('idle_until', '>', now)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  if (!row) return undefined;
  const user = await getUserByName(db, row.user_name);
  let caller: Caller;
  if (row.via === 'token') {
    if (!user || user.disabled_at !== null) return undefined;
    caller = { name: user.name, roles: user.roles, groups: user.groups };
  } else {
    // An OIDC user may have no local row; a disabled local row still locks them out.
    if (user?.disabled_at) return undefined;
    caller = { name: row.user_name, roles: row.roles ?? [], groups: user?.groups ?? [] };
  }
  if (row.idle_until.getTime() - now.getTime() < SESSION_IDLE_MS - TOUCH_RESOLUTION_MS) {
    const idleUntil = new Date(Math.min(now.getTime() + SESSION_IDLE_MS, row.expires_at.getTime()));
    await db.updateTable('web_sessions').set({ idle_until: idleUntil }).where('id', '=', row.id).execute();
  }
  return { id: row.id, caller, via: row.via, csrf: row.csrf, expiresAt: row.expires_at };
}

/** Signs a session out (idempotent). */
export async function endSession(db: Db, session: WebSession, now = new Date()): Promise<void> {
  const ended = await db
    .updateTable('web_sessions')
    .set({ ended_at: now })
    .where('id', '=', session.id)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  if (ended.numUpdatedRows > 0n) {
    await recordAudit(db, { kind: 'session.ended', actor: session.caller.name, details: { session: session.id } }, now);
  }
}

/** Removes sessions that ended or expired more than a day ago (they prove nothing any more; the audit log keeps the record). */
export async function pruneSessions(db: Db, now = new Date()): Promise<number> {
  const before = new Date(now.getTime() - 86_400_000);
  const result = await db
    .deleteFrom('web_sessions')
    .where((eb) => eb.or([eb('expires_at', '<', before), eb('idle_until', '<', before), eb('ended_at', '<', before)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Whether a form's CSRF field matches its session's, in constant time. */
export function csrfMatches(session: WebSession, presented: unknown): boolean {
  if (typeof presented !== 'string') return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(session.csrf);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function hashSessionCookie(cookie: string): string {
  return createHash('sha256').update(cookie).digest('hex');
}
