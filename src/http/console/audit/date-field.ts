import { parseAuditDate } from '../../../audit/audit-date.js';
import { AirlockError } from '../../../errors.js';

const DAY_MS = 86_400_000;

/**
 * A date field of the audit pages: `2024-05-01` (midnight UTC) or an ISO 8601 date-time, exactly as
 * `airlock audit export --since/--until` reads them (the same parser, so that an export from the console
 * and one from the command line cover the same records for the same values). A bad value is a 400 naming
 * the field, without repeating what was typed (the page must not print attacker-chosen text back).
 */
export function parseDateField(field: string, value: string | undefined): Date | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const at = parseAuditDate(value);
  if (at) return at;
  throw new AirlockError(
    'invalid_input',
    `The field "${field}" must be a date such as 2024-05-01 or a date-time such as 2024-05-01T12:00:00Z.`,
  );
}

/**
 * The end of a range picked with `<input type="date">`: a bare day includes that whole day (the instant
 * after it, exclusive); a date-time is taken as the exclusive end itself.
 */
export function parseInclusiveEnd(field: string, value: string | undefined): Date | undefined {
  const at = parseDateField(field, value);
  if (at === undefined) return undefined;
  return value!.trim().length === 10 ? new Date(at.getTime() + DAY_MS) : at;
}
