import { z } from 'zod';
import { AirlockError } from '../errors.js';
import { ROLES } from './roles.js';

/** The users table's check constraint says the same: 1 to 64 characters, lower case. */
export const USER_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export const userNameSchema = z.string().regex(USER_NAME_PATTERN, {
  error: 'must be 1 to 64 characters of a-z, 0-9, ".", "_" or "-", starting with a letter or digit',
});

export const emailSchema = z.email({ error: 'must be an e-mail address such as alice@example.com' }).max(254, { error: 'is too long' });

export const rolesSchema = z
  .array(z.enum(ROLES, { error: `is not a role; valid roles are ${ROLES.join(', ')}` }))
  .min(1, { error: `must name at least one of ${ROLES.join(', ')}` })
  .transform((roles) => [...new Set(roles)]);

export const groupsSchema = z
  .array(z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, { error: 'must be a group name of a-z, 0-9, ".", "_" or "-"' }))
  .max(32)
  .transform((groups) => [...new Set(groups)]);

export const newUserSchema = z.strictObject({
  name: userNameSchema,
  email: emailSchema,
  roles: rolesSchema,
  groups: groupsSchema.default([]),
});

/**
 * Validates `value` against `schema`, or throws `invalid_input` naming each field that is wrong and the
 * value it had (`Invalid user: name "Bob Smith" must be …`). Only for inputs that are never secrets.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, subject: string): z.output<S> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const field = issue.path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i > 0 ? '.' : ''}${String(key)}`)).join('');
    const shown = typeof issue.input === 'string' || typeof issue.input === 'number' ? ` ${JSON.stringify(issue.input)}` : '';
    return field ? `${field}${shown} ${issue.message}` : issue.message;
  });
  throw new AirlockError('invalid_input', `Invalid ${subject}: ${problems.join('; ')}.`);
}
