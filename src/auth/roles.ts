import { AirlockError } from '../errors.js';

/**
 * What a user may do. A user holds one or more; none implies another (an admin sees no tickets unless they
 * also hold a role that does). The users table's check constraint lists the same names.
 */
export const ROLES = [
  /** Submits tickets and sees their own. */
  'requester',
  /** Decides tickets awaiting approval that name them; never their own. */
  'approver',
  /** Runs pipelines and handles escalated tickets. */
  'operator',
  /** Reads every ticket and its history; changes nothing. */
  'auditor',
  /** Manages users, tokens and pipelines; sees no tickets through this role. */
  'admin',
] as const;

export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/**
 * Parses a comma-separated role list (`requester,approver`) as typed on a command line: spaces around
 * names are ignored, duplicates collapse. Throws `invalid_input` naming every unknown role.
 */
export function parseRoles(list: string): Role[] {
  const names = [...new Set(list.split(',').map((name) => name.trim()))].filter((name) => name !== '');
  const unknown = names.filter((name) => !isRole(name));
  if (unknown.length > 0) {
    const quoted = unknown.map((name) => `"${name}"`).join(', ');
    throw new AirlockError('invalid_input', `Unknown role${unknown.length > 1 ? 's' : ''} ${quoted}; valid roles are ${ROLES.join(', ')}.`);
  }
  if (names.length === 0) throw new AirlockError('invalid_input', `No role given; name at least one of ${ROLES.join(', ')}.`);
  return names as Role[];
}
