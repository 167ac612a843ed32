/**
 * The ticket pages: the new-transfer form, the ticket list and the ticket page. Verdicts, severities and item
 * states are text badges; their colours (4.5:1 on white, from the base palette) only repeat the text.
 */
export const TICKETS_CSS = `
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
textarea.short { min-height: 4rem; }
label + p.hint { margin: -.15rem 0 .35rem; max-width: 40rem; }
.pipeline-list { margin: .5rem 0 0; max-width: 40rem; }
.pipeline-list summary { cursor: pointer; color: var(--accent); }
.filters .check { display: flex; align-items: center; gap: .4rem; padding-bottom: .5rem; }
.filters .check label { margin: 0; font-weight: 400; }
.filters .check input { width: 1.1rem; height: 1.1rem; }
.filters .buttons { margin: 0 0 .35rem; }
table.tickets td, table.items td, table.items th.path { overflow-wrap: anywhere; }
table.items th.path { font-weight: 400; background: none; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .9rem; }
.ticket-status { display: flex; flex-wrap: wrap; align-items: center; gap: .25rem .5rem; margin-top: -.5rem; }
.ticket-status .badge { font-size: 1rem; }
dd.purpose { white-space: pre-line; }
.progress-line { display: flex; flex-wrap: wrap; align-items: center; gap: .25rem .75rem; }
label.inline { display: inline; margin: 0; }
progress { width: 16rem; max-width: 100%; height: 1.1rem; accent-color: var(--accent); }
progress.item-progress { display: block; width: 6rem; height: .6rem; margin-top: .3rem; }
.badge.item-delivered, .verdict-allow { color: var(--good); }
.badge.item-blocked, .badge.item-failed, .verdict-block, .severity-critical, .severity-high { color: var(--bad); }
.badge.item-held, .verdict-review, .severity-medium { color: var(--warn); }
ul.plain { list-style: none; margin: 0; padding: 0; }
ul.plain code { overflow-wrap: anywhere; }
.actions .card > p:first-of-type { margin-top: 0; }
article.ticket tbody th, table.tickets tbody th { background: none; }
td time { white-space: nowrap; }
table.tickets caption { text-align: left; caption-side: top; color: var(--muted); font-size: .9rem; padding-bottom: .25rem; }
@media (max-width: 640px) {
  progress { width: 100%; }
  /* Wide tables scroll sideways inside their wrapper rather than squeezing names into one letter per line. */
  table.tickets, article.ticket table { min-width: 40rem; }
}
`;
