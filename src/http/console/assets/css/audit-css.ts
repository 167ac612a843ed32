/**
 * The audit log and the outbox: the chain's verdict in words and colour, compact record details, mail
 * bodies that keep their line breaks and wrap on a phone.
 */
export const AUDIT_CSS = `
.chain h2 { margin-top: 0; }
.chain-ok strong { color: var(--good); }
.chain-broken { background: #fbeaea; border-left: 5px solid var(--bad); padding: .6rem 1rem; border-radius: 4px; }
.chain-broken strong { color: var(--bad); }
.chain-unchecked { color: var(--warn); font-weight: 600; }
table.audit-log td { font-size: .92rem; }
table.audit-log code { overflow-wrap: anywhere; }
.audit-details { margin: 0; }
.audit-details div { display: flex; flex-wrap: wrap; gap: 0 .35rem; }
.audit-details dt { color: var(--muted); }
.audit-details dd { margin: 0; overflow-wrap: anywhere; }
.pager { display: flex; flex-wrap: wrap; gap: 1rem; margin: .5rem 0 1rem; }
.mail-state-sent { color: var(--good); }
.mail-state-failed { color: var(--bad); }
.mail-state-queued, .mail-state-sending { color: var(--warn); }
.mail-state-local { color: var(--muted); }
pre.mail-body { white-space: pre-wrap; overflow-wrap: anywhere; font: .95rem/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--panel); border: 1px solid var(--line); border-radius: 4px; padding: 1rem; max-width: 48rem; }
.action-link-hidden { font-style: italic; color: var(--muted); }
`;
