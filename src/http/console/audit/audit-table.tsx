import { canonicalJson } from '../../../audit/audit-log.js';
import type { AuditRow } from './audit-query.js';
import { UtcTime } from '../utc-time.js';

/** Longest detail value shown; the export has every value in full. */
const MAX_VALUE_CHARS = 300;

/** The records of one page, newest first. Details hold identifiers, states and counts, never content. */
export function AuditTable(props: { rows: readonly AuditRow[] }) {
  return (
    <div class="table-wrap">
      <table class="audit-log">
        <caption>Audit records, newest first</caption>
        <thead>
          <tr>
            <th scope="col" class="num">
              Seq
            </th>
            <th scope="col">Time</th>
            <th scope="col">Kind</th>
            <th scope="col">Actor</th>
            <th scope="col">Ticket</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr>
              <td class="num">{row.seq === null ? <span class="muted">unsealed</span> : String(row.seq)}</td>
              <td>
                <UtcTime at={row.at} />
              </td>
              <td>
                <code>{row.kind}</code>
              </td>
              <td>{row.actor}</td>
              <td>
                {row.ticketRef ? (
                  <a href={`/ui/tickets/${row.ticketRef}`}>{row.ticketRef}</a>
                ) : row.ticketId ? (
                  <span class="muted">removed</span>
                ) : (
                  ''
                )}
              </td>
              <td>
                <Details details={row.details} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** `key: value` pairs; nested values as canonical JSON. */
function Details({ details }: { details: Record<string, unknown> }) {
  const entries = Object.entries(details);
  if (entries.length === 0) return <span class="muted">none</span>;
  return (
    <dl class="audit-details">
      {entries.map(([key, value]) => (
        <div>
          <dt>{`${key}:`}</dt>
          <dd>{shorten(typeof value === 'string' ? value : canonicalJson(value))}</dd>
        </div>
      ))}
    </dl>
  );
}

function shorten(text: string): string {
  const chars = Array.from(text);
  return chars.length <= MAX_VALUE_CHARS ? text : `${chars.slice(0, MAX_VALUE_CHARS - 1).join('')}…`;
}
