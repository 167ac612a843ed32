import type { OpenAPIHono } from '@hono/zod-openapi';
import type { CommunicationContext } from '../../approvals/review-task.js';
import type { Db } from '../../db/database.js';
import { loadPipelines } from '../../pipelines/pipeline-loader.js';
import { runPipelineNow } from '../../tickets/submit-ticket.js';
import { formatTicketNumber } from '../../tickets/states.js';
import type { AppEnv } from '../app-env.js';
import { callerOf } from '../authenticate.js';
import { PipelineList, PipelineNameParam, RunPipelineBody, TicketSummary } from '../api-schemas.js';
import { defineRoute, ERRORS } from '../route-access.js';
import { ticketSummary } from '../ticket-view.js';
import { brokenPipelineFiles, presentPipeline } from '../pipeline-presenter.js';

export interface PipelineRouteDeps {
  db: Db;
  pipelinesDir: string;
  enqueue: (trx: Db, ticketId: string) => Promise<void>;
  communication?: CommunicationContext | undefined;
}

const list = defineRoute(
  {
    method: 'get',
    path: '/api/v1/pipelines',
    summary: 'Pipelines that can be requested or run (no settings, no secrets)',
    tags: ['pipelines'],
    responses: {
      200: { description: 'Pipelines', content: { 'application/json': { schema: PipelineList } } },
      401: ERRORS[401],
      403: ERRORS[403],
      429: ERRORS[429],
    },
  },
  { kind: 'roles', roles: ['requester', 'operator', 'admin'] },
);

const run = defineRoute(
  {
    method: 'post',
    path: '/api/v1/pipelines/{name}/run',
    summary: 'Run a pipeline now: a ticket requested by the calling operator',
    tags: ['pipelines'],
    request: { params: PipelineNameParam, body: { content: { 'application/json': { schema: RunPipelineBody } }, required: false } },
    responses: {
      201: { description: 'Ticket created', content: { 'application/json': { schema: TicketSummary } } },
      400: ERRORS[400],
      401: ERRORS[401],
      403: ERRORS[403],
      404: ERRORS[404],
      413: ERRORS[413],
      429: ERRORS[429],
    },
  },
  { kind: 'roles', roles: ['operator'] },
);

export function registerPipelineRoutes(app: OpenAPIHono<AppEnv>, deps: PipelineRouteDeps): void {
  app.openapi(list, async (c) => {
    const set = await loadPipelines(deps.pipelinesDir);
    const pipelines = [...set.pipelines.values()].map(presentPipeline);
    return c.json({ pipelines, errors: brokenPipelineFiles(set) }, 200);
  });

  app.openapi(run, async (c) => {
    const { name } = c.req.valid('param');
    const input = c.req.valid('json') ?? {};
    const ticket = await runPipelineNow(deps, {
      pipeline: name,
      operator: callerOf(c).name,
      purpose: input.purpose,
      selection: input.selection,
    });
    c.header('Location', `/api/v1/tickets/${formatTicketNumber(ticket.number)}`);
    return c.json(ticketSummary(ticket), 201);
  });
}
