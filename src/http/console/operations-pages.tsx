import type { Context } from 'hono';
import { CONFIG_NAME_PATTERN } from '../../config/yaml-source.js';
import { AirlockError } from '../../errors.js';
import { retryTicket } from '../../tickets/retry-ticket.js';
import { formatTicketNumber, parseTicketRef } from '../../tickets/states.js';
import { runPipelineNow } from '../../tickets/submit-ticket.js';
import { PURPOSE_LENGTH, RunPipelineBody } from '../api-schemas.js';
import { findTicket } from '../../tickets/ticket-store.js';
import { ASSET_PATHS } from './assets/asset-paths.js';
import type { ConsolePages } from './console-app.js';
import { requireRole } from './console-auth.js';
import type { ConsoleDeps } from './console-deps.js';
import type { ConsoleEnv } from './console-env.js';
import { EscalationsSection, loadEscalations } from './operations/escalations.js';
import { FailedSection, loadFailedTickets } from './operations/failed-tickets.js';
import { loadPipelinePanels, PipelinesSection } from './operations/pipelines-panel.js';
import { page, readForm, seeOther } from './respond.js';

/**
 * The operator's page: open escalations by SLA, failed tickets with Retry, and every pipeline with its
 * schedule, recent runs and a Run now button. Retry and Run now make tickets through the same core as the
 * API (`retryTicket`, `submitTicket`), enqueued in the ticket's transaction, and then show the new ticket.
 */
export const registerOperationsPages: ConsolePages = (ui, deps) => {
  const operator = requireRole('operator');

  ui.get('/operations', operator, (c) => operationsPage(c, deps));

  ui.post('/tickets/:ref/retry', operator, async (c) => {
    const parsed = parseTicketRef(c.req.param('ref'));
    const failed = parsed ? await findTicket(deps.db, parsed) : undefined;
    if (!failed) throw new AirlockError('not_found', 'There is no such ticket.');
    const retry = await withPlainPipelineErrors(failed.pipeline, () => retryTicket(deps, failed.id, c.get('caller').name));
    return seeOther(c, `/ui/tickets/${formatTicketNumber(retry.number)}?done=retried`);
  });

  ui.post('/pipelines/:name/run', operator, async (c) => {
    const name = c.req.param('name');
    if (!CONFIG_NAME_PATTERN.test(name)) throw new AirlockError('not_found', 'There is no such pipeline.');
    const caller = c.get('caller');
    const typed = ((await readForm(c)).purpose ?? '').trim();
    // The API's own bounds for a run's purpose (RunPipelineBody); empty means the default purpose.
    const input = RunPipelineBody.safeParse(typed === '' ? {} : { purpose: typed });
    if (!input.success) {
      return operationsPage(c, deps, {
        error: `A purpose must be ${PURPOSE_LENGTH.min} to ${PURPOSE_LENGTH.max} characters long; leave it empty to use "run of ${name} by ${caller.name}".`,
        status: 400,
      });
    }
    const ticket = await withPlainPipelineErrors(name, () =>
      runPipelineNow(deps, { pipeline: name, operator: caller.name, purpose: input.data.purpose }),
    );
    return seeOther(c, `/ui/tickets/${formatTicketNumber(ticket.number)}?done=started`);
  });
};

async function operationsPage(c: Context<ConsoleEnv>, deps: ConsoleDeps, options: { error?: string; status?: 400 } = {}) {
  const now = deps.now();
  const csrf = c.get('session').csrf;
  const [escalations, failed, panels] = await Promise.all([
    loadEscalations(deps.db, now, c.get('caller')),
    loadFailedTickets(deps.db, now, c.get('caller')),
    loadPipelinePanels(deps.db, deps.pipelinesDir, now),
  ]);
  return page(
    c,
    'Operations',
    <>
      <h1>Operations</h1>
      <EscalationsSection entries={escalations.entries} more={escalations.more} now={now} />
      <FailedSection entries={failed} csrf={csrf} />
      <PipelinesSection pipelines={panels.pipelines} brokenFiles={panels.brokenFiles} csrf={csrf} />
    </>,
    { scripts: [ASSET_PATHS.js], ...options },
  );
}

/**
 * A pipeline that is missing or does not load, said without the loader's message: that names the server's
 * folders and quotes the file's settings, which the page must not show.
 */
async function withPlainPipelineErrors<T>(pipeline: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof AirlockError)) throw error;
    if (error.code === 'not_found' && /^Pipeline /.test(error.message)) {
      throw new AirlockError('not_found', `There is no pipeline named ${pipeline}.`, { cause: error });
    }
    if (error.code === 'pipeline_invalid' || error.code === 'policy_invalid' || error.code === 'secret_unresolved') {
      throw new AirlockError(error.code, `The pipeline ${pipeline} does not load; "airlock validate" on the server says why.`, {
        cause: error,
      });
    }
    throw error;
  }
}
