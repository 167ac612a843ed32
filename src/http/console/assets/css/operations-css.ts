/**
 * The approver's inbox and the operator's page: SLA states (the words say breached; the colour repeats it),
 * the purpose under a ticket link, pipeline cards that stack on a phone, hashes and excerpts that wrap
 * instead of widening the page.
 */
export const OPERATIONS_CSS = `
.sla-breached { color: var(--bad); font-weight: 700; }
.sla-due { color: var(--ink); }
tr.breached > th[scope="row"] { border-left: 4px solid var(--bad); }
th[scope="row"] .purpose { display: block; font-weight: 400; color: var(--muted); font-size: .9rem; overflow-wrap: anywhere; }
td.reason { overflow-wrap: anywhere; max-width: 28rem; }
ul.plain { list-style: none; margin: 0; padding: 0; }
.pipeline ul.plain li, .inbox-ticket ul.plain li { margin: 0 0 .25rem; }
.pipeline-cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(20rem, 1fr)); gap: 0 1.25rem; }
.pipeline-cards .card h3 { margin-top: 0; }
.run-now label { margin-top: .5rem; }
.inbox-ticket h3 { margin-top: 0; }
.inbox-ticket h4 { font-size: 1rem; margin: 1.25rem 0 .25rem; }
.excerpt, .sha { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85rem; overflow-wrap: anywhere; }
.excerpts { margin: 0; padding-left: 1.1rem; }
.decision-form { border-top: 1px solid var(--line); margin-top: 1rem; padding-top: .25rem; }
.decision-form textarea { min-height: 4rem; }
@media (max-width: 640px) {
  .pipeline-cards { grid-template-columns: 1fr; }
  td.reason { max-width: none; }
}
`;
