import type { TicketDetails } from '../tickets/ticket-presenter.js';
import { formatBytes } from './progress-bar.js';

/** Plain-text rendering of a ticket for the terminal. Only metadata and masked excerpts, as stored. */
export function renderTicket(t: TicketDetails): string {
  const lines = [
    `${t.id}  ${t.state.toUpperCase()}  (${t.uuid})`,
    `  pipeline  ${t.pipeline} (${t.deliveryMode}, policy ${t.policy})`,
    `  requester ${t.requester}`,
    `  purpose   ${t.purpose}`,
    `  created   ${t.createdAt}${t.finishedAt ? `   finished ${t.finishedAt}` : ''}`,
  ];
  if (t.failureReason) lines.push(`  failure   ${t.failureReason}`);
  if (t.decision) {
    lines.push(
      '',
      `Decision: ${t.decision.verdict} (rule ${t.decision.rule}, policy ${t.decision.policy} ${t.decision.policyVersion.slice(0, 12)})`,
    );
    for (const reason of t.decision.reasons) lines.push(`  - ${reason}`);
  }
  lines.push('', `Items (${t.items.length}):`);
  for (const item of t.items) {
    const size = item.size === null ? '?' : formatBytes(item.size);
    const type = item.type ? item.type.mime : 'unknown type';
    lines.push(
      `  ${String(item.seq).padStart(3)}. ${item.state.padEnd(9)} ${(item.verdict ?? '-').padEnd(6)} ${item.path}  (${size}, ${type})`,
    );
    if (item.sha256) lines.push(`       sha256 ${item.sha256}`);
    if (item.verdict && item.verdict !== 'allow') lines.push(`       ${item.reasons.join('; ')}`);
    if (item.error) lines.push(`       error: ${item.error}`);
    for (const run of item.checks.filter((c) => c.status !== 'ok'))
      lines.push(`       check ${run.check} ${run.status}: ${run.error ?? ''}`);
  }
  if (t.findings.length > 0) {
    lines.push('', `Findings (${t.findings.length}):`);
    for (const f of t.findings)
      lines.push(`  item ${f.item}: ${f.check}/${f.detector} ${f.severity} (${f.confidence})${f.excerpt ? ` ${f.excerpt}` : ''}`);
  }
  lines.push('', 'Events:');
  for (const e of t.events)
    lines.push(
      `  ${String(e.seq).padStart(3)}. ${e.at}  ${(e.from ?? '-').padEnd(17)} -> ${e.to.padEnd(19)} by ${e.actor}${e.reason ? `: ${e.reason}` : ''}`,
    );
  return lines.join('\n') + '\n';
}
