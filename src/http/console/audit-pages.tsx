import { recordAudit } from '../../audit/audit-log.js';
import { AirlockError } from '../../errors.js';
import { AuditExportForm, AuditFilterForm } from './audit/audit-forms.js';
import { exportHeaders, exportStream, readExportRequest } from './audit/audit-export.js';
import { auditLogSize, findAuditPage, readAuditQuery, recentKinds, resolveAuditFilter, type AuditQuery } from './audit/audit-query.js';
import { AuditTable } from './audit/audit-table.js';
import { chainStatus, createChainChecker } from './audit/chain-check.js';
import { ChainStatusView } from './audit/chain-status-view.js';
import type { ConsolePages } from './console-app.js';
import { requireRole } from './console-auth.js';
import { page } from './respond.js';

/**
 * `GET /ui/audit` (auditors): the audit log, newest first, filtered and paginated, under the chain's
 * verification status. `GET /ui/audit/export` (auditors): the sealed log as a download, in the CLI's formats.
 *
 * A download from the console is audited (`audit.exported`: who, which format and range): the log leaving
 * through a browser is worth a record. Browsing it is not (every console request needs a session whose sign-in
 * was audited).
 */
export const registerAuditPages: ConsolePages = (ui, deps) => {
  const checker = deps.auditKey ? createChainChecker(deps.db, deps.auditKey, deps.now) : undefined;

  ui.get('/audit', requireRole('auditor'), async (c) => {
    const query = readAuditQuery(c.req.query());
    let problem: string | undefined;
    let filter: Awaited<ReturnType<typeof resolveAuditFilter>> | undefined;
    try {
      filter = await resolveAuditFilter(deps.db, query);
    } catch (error) {
      if (!(error instanceof AirlockError) || error.code !== 'invalid_input') throw error;
      problem = error.message;
    }
    const size = await auditLogSize(deps.db);
    const status = await chainStatus(checker, { requested: c.req.query('verify') === '1', headSeq: size.headSeq });
    const [records, kinds] = await Promise.all([filter ? findAuditPage(deps.db, filter, query) : undefined, recentKinds(deps.db)]);
    const filtered = Boolean(query.kind || query.actor || query.ticket || query.from || query.to);
    return page(
      c,
      'Audit log',
      <>
        <h1>Audit log</h1>
        <ChainStatusView status={status} unsealed={size.unsealed} verifyHref={auditHref(query, { verify: '1' })} />
        <section aria-labelledby="records-heading">
          <h2 id="records-heading">Records</h2>
          <AuditFilterForm query={query} kinds={kinds} />
          {filter?.ticketId === null && <p class="notice">No ticket has that number, so no record is about it.</p>}
          {records && records.rows.length > 0 && <AuditTable rows={records.rows} />}
          {records && records.rows.length === 0 && filter?.ticketId !== null && (
            <p>{filtered ? 'No record matches this filter.' : 'The audit log is empty.'}</p>
          )}
          {records && (records.newer !== undefined || records.older !== undefined) && (
            <nav class="pager" aria-label="Pages of the audit log">
              {records.newer !== undefined && <a href={auditHref(query, { after: String(records.newer) })}>Newer records</a>}
              {records.older !== undefined && <a href={auditHref(query, { before: String(records.older) })}>Older records</a>}
            </nav>
          )}
        </section>
        <AuditExportForm />
      </>,
      { error: problem, ...(problem ? { status: 400 as const } : {}) },
    );
  });

  ui.get('/audit/export', requireRole('auditor'), async (c) => {
    const request = readExportRequest(c.req.query());
    await recordAudit(deps.db, {
      kind: 'audit.exported',
      actor: c.get('caller').name,
      details: { format: request.format, since: request.since?.toISOString() ?? null, until: request.until?.toISOString() ?? null },
    });
    // Sealed records only, as the CLI exports them; the running server seals every second, and a GET from
    // an auditor does not write (the CLI seals first because it may run where no server does).
    return c.body(exportStream(deps.db, deps.logger, request), 200, exportHeaders(request, deps.now()));
  });
};

/** `/ui/audit` with the current filter and `extra` (a cursor or `verify`); empty fields are left out. */
function auditHref(query: AuditQuery, extra: Record<string, string>): string {
  const params = new URLSearchParams();
  for (const field of ['kind', 'actor', 'ticket', 'from', 'to'] as const) if (query[field]) params.set(field, query[field]);
  for (const [key, value] of Object.entries(extra)) params.set(key, value);
  const search = params.toString();
  return search ? `/ui/audit?${search}` : '/ui/audit';
}
