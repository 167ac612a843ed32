import type { Context } from 'hono';
import { decideTicketApproval } from '../../approvals/decide-ticket-approval.js';
import { escalateAndNotify } from '../../approvals/escalate-and-notify.js';
import type { Db } from '../../db/database.js';
import type { TicketRow } from '../../db/schema.js';
import { AirlockError } from '../../errors.js';
import { loadPipelines } from '../../pipelines/pipeline-loader.js';
import { formatTicketNumber } from '../../tickets/states.js';
import { submitTicket } from '../../tickets/submit-ticket.js';
import { cancelTicket } from '../../tickets/cancel-ticket.js';
import { findVisibleTicket } from '../../tickets/ticket-access.js';
import { DecisionBody } from '../api-schemas.js';
import { ticketView } from '../ticket-view.js';
import { brokenPipelineFiles, presentPipeline } from '../pipeline-presenter.js';
import { ASSET_PATHS } from './assets/asset-paths.js';
import type { ConsolePages } from './console-app.js';
import { requireRole } from './console-auth.js';
import type { ConsoleDeps } from './console-deps.js';
import type { ConsoleEnv } from './console-env.js';
import { page, PAGE_HEADERS, readForm, seeOther } from './respond.js';
import { NewTicketForm, parseNewTicket, type NewTicketValues, type PipelineChoice } from './tickets/new-ticket-form.js';
import { actionsFor } from './tickets/ticket-actions.js';
import { TicketDetail } from './tickets/ticket-detail.js';
import { formatUtc } from './tickets/ticket-format.js';
import { filterOf, listTickets, TicketList } from './tickets/ticket-list.js';
import { ticketLive } from './tickets/ticket-live.js';
import type { TicketViewModel } from './tickets/ticket-sections.js';

type Ctx = Context<ConsoleEnv>;

/**
 * The requester's pages and the ticket page: a form to submit a transfer, the list of tickets the caller may
 * see, and one ticket with its progress, findings, decision, approvals and history, plus what the caller may do
 * with it (decide, escalate, cancel). Every action calls the same core function as the API.
 */
export const registerTicketPages: ConsolePages = (ui, deps) => {
  const { db } = deps;

  ui.get('/tickets/new', requireRole('requester'), async (c) => {
    const { choices, unavailable } = await pipelineChoices(deps.pipelinesDir);
    const values = { pipeline: choices.length === 1 ? choices[0]!.name : '', purpose: '', selection: '' };
    return page(
      c,
      'New transfer',
      <NewTicketForm csrf={c.get('session').csrf} pipelines={choices} values={values} unavailable={unavailable} />,
    );
  });

  ui.post('/tickets', requireRole('requester'), async (c) => {
    const form = await readForm(c);
    const values: NewTicketValues = { pipeline: form.pipeline ?? '', purpose: form.purpose ?? '', selection: form.selection ?? '' };
    const { choices, unavailable } = await pipelineChoices(deps.pipelinesDir);
    const again = (error: string) =>
      page(
        c,
        'New transfer',
        <NewTicketForm csrf={c.get('session').csrf} pipelines={choices} values={values} unavailable={unavailable} />,
        {
          error,
          status: 400,
        },
      );
    const parsed = parseNewTicket(values, choices);
    if ('error' in parsed) return again(parsed.error);
    let ticket: TicketRow;
    try {
      ticket = await submitTicket(deps, { ...parsed.input, requester: c.get('caller').name });
    } catch (error) {
      if (!(error instanceof AirlockError)) throw error;
      // A bad glob names the pattern the person typed; a pipeline that broke since the form was shown quotes its
      // file, which is for operators only.
      if (error.code === 'invalid_input') return again(error.message);
      if (error.code === 'pipeline_invalid' || error.code === 'not_found')
        return again('That pipeline cannot be used right now; choose another or ask an operator.');
      throw error;
    }
    return seeOther(c, `/ui/tickets/${formatTicketNumber(ticket.number)}?done=submitted`);
  });

  ui.get('/tickets', requireRole('requester', 'approver', 'operator', 'auditor'), async (c) => {
    const filter = filterOf({ state: c.req.query('state'), mine: c.req.query('mine') });
    const { tickets, more } = await listTickets(db, c.get('caller'), filter);
    return page(c, 'Tickets', <TicketList tickets={tickets} more={more} filter={filter} />);
  });

  ui.get('/tickets/:ref', async (c) => {
    const caller = c.get('caller');
    const ticket = await visibleTicket(db, c);
    const view = await ticketView(db, ticket);
    const detail = <TicketDetail view={view} trigger={ticket.trigger} actions={actionsFor(view, caller)} csrf={c.get('session').csrf} />;
    return page(c, view.id, detail, { notice: noticeFor(c.req.query('done'), view, caller.name), scripts: [ASSET_PATHS.js] });
  });

  ui.get('/tickets/:ref/live', async (c) => {
    const ticket = await visibleTicket(db, c);
    return c.json(await ticketLive(db, ticket), 200, PAGE_HEADERS);
  });

  ui.post('/tickets/:ref/decision', async (c) => {
    const caller = c.get('caller');
    const ticket = await visibleTicket(db, c);
    const form = await readForm(c);
    const comment = (form.comment ?? '').trim();
    const input = DecisionBody.safeParse({ decision: form.decision, ...(comment === '' ? {} : { comment }) });
    if (!input.success) throw new AirlockError('invalid_input', 'Choose Approve or Reject, with a comment of at most 1000 characters.');
    await decideTicketApproval(db, ticket, caller, { ...input.data, channel: 'web' }, deps);
    const done = input.data.decision === 'approve' ? 'approved' : 'rejected';
    return seeOther(c, `/ui/tickets/${formatTicketNumber(ticket.number)}?done=${done}`);
  });

  ui.post('/tickets/:ref/escalate', async (c) => {
    const ticket = await visibleTicket(db, c);
    await escalateAndNotify(db, ticket.id, c.get('caller').name, {
      slaMinutes: deps.escalationSlaMinutes,
      communication: deps.communication,
    });
    return seeOther(c, `/ui/tickets/${formatTicketNumber(ticket.number)}?done=escalated`);
  });

  ui.post('/tickets/:ref/cancel', async (c) => {
    const caller = c.get('caller');
    const ticket = await visibleTicket(db, c);
    const label = formatTicketNumber(ticket.number);
    await cancelTicket(db, ticket, caller, deps.purge);
    return seeOther(c, `/ui/tickets/${label}?done=cancelled`);
  });
};

/** The ticket in the path if the caller may see it; otherwise the same 404 as a ticket that does not exist. */
async function visibleTicket(db: Db, c: Ctx): Promise<TicketRow> {
  const ticket = await findVisibleTicket(db, c.get('caller'), c.req.param('ref') ?? '');
  if (!ticket) throw new AirlockError('not_found', 'There is no ticket with that number that you can see.');
  return ticket;
}

/** The pipelines a requester may pick, with what `GET /api/v1/pipelines` shows of them; broken files are only counted. */
async function pipelineChoices(dir: ConsoleDeps['pipelinesDir']): Promise<{ choices: PipelineChoice[]; unavailable: number }> {
  const set = await loadPipelines(dir);
  const choices = [...set.pipelines.values()].map(presentPipeline);
  return { choices, unavailable: brokenPipelineFiles(set).length };
}

/** The sentence for a `done` code after a form; an unknown code shows nothing (query text is never printed). */
function noticeFor(done: string | undefined, view: TicketViewModel, caller: string): string | undefined {
  switch (done) {
    case 'submitted':
      return 'Your transfer is submitted. Airlock now fetches and checks the files; this page follows its progress.';
    case 'approved':
      return view.requester === caller ? 'Your confirmation is recorded.' : 'Your approval is recorded.';
    case 'rejected':
      return 'Your rejection is recorded; nothing of this transfer will be delivered.';
    case 'cancelled':
      return 'The transfer is cancelled; nothing will be delivered and the fetched copies are being deleted.';
    case 'escalated': {
      const operator = view.operators.join(', ') || 'an operator';
      const due = view.slaDueAt ? ` and should answer you by ${formatUtc(view.slaDueAt)}` : '';
      return `A human is on it: ${operator} now handles this ticket${due}.`;
    }
    case 'retried':
      return 'This ticket retries a failed one; Airlock processes it like a new request, and this page follows its progress.';
    case 'started':
      return 'The pipeline run has started; this page follows its progress.';
    default:
      return undefined;
  }
}
