/**
 * A bound of an audit range: `2024-05-01` (midnight UTC) or an ISO 8601 date-time, with or without an offset
 * (none means UTC). Undefined for anything else, impossible days (2024-02-30) included. The CLI's
 * `--since/--until` and the console's export read bounds with this, so the same values cover the same records.
 */
export function parseAuditDate(value: string): Date | undefined {
  const text = value.trim();
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, offset] = m;
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (day.getUTCFullYear() !== Number(y) || day.getUTCMonth() !== Number(mo) - 1 || day.getUTCDate() !== Number(d)) return undefined;
  const at = new Date(text.length === 10 || offset ? text : `${text}Z`);
  return Number.isNaN(at.getTime()) ? undefined : at;
}
