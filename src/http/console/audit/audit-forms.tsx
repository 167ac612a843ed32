import type { AuditQuery } from './audit-query.js';

/** The GET form that filters the log; its values stay in the fields after filtering. */
export function AuditFilterForm(props: { query: AuditQuery; kinds: readonly string[] }) {
  const { query } = props;
  return (
    <form class="filters" method="get" action="/ui/audit" aria-label="Filter the audit log">
      <div>
        <label for="audit-kind">
          Kind <span class="hint">exact, or a prefix ending in “.” such as ticket.</span>
        </label>
        <input id="audit-kind" name="kind" type="text" list="audit-kinds" value={query.kind} autocomplete="off" />
        <datalist id="audit-kinds">
          {props.kinds.map((kind) => (
            <option value={kind}></option>
          ))}
        </datalist>
      </div>
      <div>
        <label for="audit-actor">Actor</label>
        <input id="audit-actor" name="actor" type="text" value={query.actor} autocomplete="off" />
      </div>
      <div>
        <label for="audit-ticket">Ticket</label>
        <input id="audit-ticket" name="ticket" type="text" value={query.ticket} placeholder="T-000123" autocomplete="off" />
      </div>
      <div>
        <label for="audit-from">From (UTC day)</label>
        <input id="audit-from" name="from" type="date" value={query.from} />
      </div>
      <div>
        <label for="audit-to">To (UTC day, included)</label>
        <input id="audit-to" name="to" type="date" value={query.to} />
      </div>
      <div class="buttons">
        <button type="submit">Filter</button>
        <a class="button secondary" href="/ui/audit">
          Clear
        </a>
      </div>
    </form>
  );
}

/** Downloads of the sealed log, as `airlock audit export` writes it. */
export function AuditExportForm() {
  return (
    <section class="card" aria-labelledby="export-heading">
      <h2 id="export-heading">Export</h2>
      <p>
        Sealed records in chain order, one per line, exactly as <code>airlock audit export</code> writes them: JSON lines (each with its
        hashes and signature, for checking elsewhere) or ArcSight CEF for a SIEM. Filters above do not apply; the period below does.
      </p>
      <form class="filters" method="get" action="/ui/audit/export" aria-label="Export the audit log">
        <div>
          <label for="export-format">Format</label>
          <select id="export-format" name="format">
            <option value="jsonl">JSON lines (.jsonl)</option>
            <option value="cef">CEF (.cef)</option>
          </select>
        </div>
        <div>
          <label for="export-since">Since (UTC day, included)</label>
          <input id="export-since" name="since" type="date" />
        </div>
        <div>
          <label for="export-until">Until (UTC day, not included)</label>
          <input id="export-until" name="until" type="date" />
        </div>
        <div class="buttons">
          <button type="submit">Download</button>
        </div>
      </form>
    </section>
  );
}
