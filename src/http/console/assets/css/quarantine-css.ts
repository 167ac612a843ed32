/**
 * The quarantine page: quarantine states as words whose colour only repeats them, names and reasons that wrap
 * instead of widening the page, and release forms small enough to sit in a table cell (the table scrolls
 * sideways on a phone, as every console table does).
 */
export const QUARANTINE_CSS = `
.quarantine-held { color: var(--bad); }
.quarantine-release_requested { color: var(--warn); }
.quarantine-released { color: var(--good); }
.quarantine-purged { color: var(--muted); }
table.quarantine .block { display: block; }
table.quarantine .name, table.quarantine .quoted { overflow-wrap: anywhere; }
table.quarantine td.item-name { max-width: 18rem; }
table.quarantine td.actions { min-width: 16rem; }
table.quarantine .release-form label { margin-top: 0; }
table.quarantine .release-form textarea { min-height: 3.5rem; }
table.quarantine .buttons { margin-top: .5rem; }
table.quarantine ul.detectors { margin-top: .25rem; }
`;
