import type { UserRow } from '../db/schema.js';
import type { TokenInfo } from './token-store.js';

/** The outward shape of a user: what the CLI prints and (later) the API returns. */
export function presentUser(u: UserRow) {
  return {
    id: u.id,
    name: u.name,
    email: u.email,
    roles: u.roles,
    createdAt: u.created_at.toISOString(),
    disabledAt: u.disabled_at?.toISOString() ?? null,
  };
}

/** Whether a token would authenticate now, and if not, the first reason why. */
export type TokenState = 'active' | 'revoked' | 'expired' | 'user_disabled';

export function tokenState(t: TokenInfo, now = new Date()): TokenState {
  if (t.revoked_at) return 'revoked';
  if (t.expires_at <= now) return 'expired';
  if (t.user_disabled_at) return 'user_disabled';
  return 'active';
}

/** The outward shape of a token: its prefix and dates, never the secret or its hash. */
export function presentToken(t: TokenInfo, now = new Date()) {
  return {
    id: t.id,
    prefix: t.prefix,
    user: t.user_name,
    label: t.name,
    state: tokenState(t, now),
    createdAt: t.created_at.toISOString(),
    expiresAt: t.expires_at.toISOString(),
    revokedAt: t.revoked_at?.toISOString() ?? null,
    lastUsedAt: t.last_used_at?.toISOString() ?? null,
  };
}
