import type { OpenAPIHono } from '@hono/zod-openapi';
import { decideTicketApproval } from '../../approvals/decide-ticket-approval.js';
import type { Db } from '../../db/database.js';
import { escalateAndNotify } from '../../approvals/escalate-and-notify.js';
import type { CommunicationContext } from '../../approvals/review-task.js';
import { submitTicket } from '../../tickets/submit-ticket.js';
import { cancelTicket } from '../../tickets/cancel-ticket.js';
import { findVisibleTicket, visibleTo } from '../../tickets/ticket-access.js';
import { getTicketRow } from '../../tickets/ticket-store.js';
import { formatTicketNumber } from '../../tickets/states.js';
import type { AppEnv } from '../app-env.js';
import { callerOf } from '../authenticate.js';
import {
  DecisionBody,
  DecisionResult,
  EmptyBody,
  EscalationResult,
  ListTicketsQuery,
  NewTicketBody,
  TicketDetails,
  TicketList,
  TicketRefParam,
  TicketSummary,
} from '../api-schemas.js';
import { notFound } from '../problem.js';
import { defineRoute, ERRORS } from '../route-access.js';
import { ticketSummaries, ticketSummary, ticketView } from '../ticket-view.js';

export interface TicketRouteDeps {
  db: Db;
  pipelinesDir: string;
  enqueue: (trx: Db, ticketId: string) => Promise<void>;
  /** Drops a ticket's staged data once nothing will be delivered from it. */
  purge: (ticketId: string) => Promise<void>;
  escalationSlaMinutes: number;
  /** Link base and clock for the mails a submit or an escalation writes; absent: no mails. */
  communication?: CommunicationContext | undefined;
  onApprovalSettled?: (seconds: number) => void;
}

const json = <T>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const body = <T>(schema: T, required = true) => ({ body: { content: { 'application/json': { schema } }, required } });
const { 400: e400, 401: e401, 403: e403, 404: e404, 409: e409, 413: e413, 429: e429 } = ERRORS;

const create = defineRoute(
  {
    method: 'post',
    path: '/api/v1/tickets',
    summary: 'Submit a transfer ticket',
    tags: ['tickets'],
    request: body(NewTicketBody),
    responses: { 201: json(TicketSummary, 'Created'), 400: e400, 401: e401, 403: e403, 404: e404, 413: e413, 429: e429 },
  },
  { kind: 'roles', roles: ['requester'] },
);

const list = defineRoute(
  {
    method: 'get',
    path: '/api/v1/tickets',
    summary: 'Tickets visible to the caller, newest first',
    tags: ['tickets'],
    request: { query: ListTicketsQuery },
    responses: { 200: json(TicketList, 'Tickets'), 400: e400, 401: e401, 403: e403, 429: e429 },
  },
  { kind: 'roles', roles: ['requester', 'approver', 'operator', 'auditor'] },
);

const show = defineRoute(
  {
    method: 'get',
    path: '/api/v1/tickets/{id}',
    summary: 'One ticket: items, masked findings, decision, approvals, timeline',
    tags: ['tickets'],
    request: { params: TicketRefParam },
    responses: { 200: json(TicketDetails, 'The ticket'), 401: e401, 404: e404, 429: e429 },
  },
  { kind: 'ticket' },
);

const cancel = defineRoute(
  {
    method: 'post',
    path: '/api/v1/tickets/{id}/cancel',
    summary: 'Cancel a ticket that has not started moving data or awaits approval',
    tags: ['tickets'],
    request: { params: TicketRefParam, ...body(EmptyBody, false) },
    responses: { 200: json(TicketSummary, 'Cancelled'), 400: e400, 401: e401, 403: e403, 404: e404, 409: e409, 429: e429 },
  },
  { kind: 'ticket' },
);

const decide = defineRoute(
  {
    method: 'post',
    path: '/api/v1/tickets/{id}/decisions',
    summary: 'Approve or reject a ticket awaiting approval (dual control)',
    tags: ['tickets'],
    request: { params: TicketRefParam, ...body(DecisionBody) },
    responses: { 200: json(DecisionResult, 'Recorded'), 400: e400, 401: e401, 403: e403, 404: e404, 409: e409, 413: e413, 429: e429 },
  },
  { kind: 'ticket' },
);

const escalate = defineRoute(
  {
    method: 'post',
    path: '/api/v1/tickets/{id}/escalate',
    summary: 'Talk to a human: raise severity, assign an operator, start the SLA clock',
    tags: ['tickets'],
    request: { params: TicketRefParam, ...body(EmptyBody, false) },
    responses: { 200: json(EscalationResult, 'Escalated'), 400: e400, 401: e401, 403: e403, 404: e404, 409: e409, 429: e429 },
  },
  { kind: 'ticket' },
);

export function registerTicketRoutes(app: OpenAPIHono<AppEnv>, deps: TicketRouteDeps): void {
  const { db } = deps;
  const visible = async (caller: ReturnType<typeof callerOf>, ref: string) => {
    const ticket = await findVisibleTicket(db, caller, ref);
    if (!ticket) throw notFound(`Ticket ${ref}`);
    return ticket;
  };

  app.openapi(create, async (c) => {
    const input = c.req.valid('json');
    const ticket = await submitTicket(
      { db, pipelinesDir: deps.pipelinesDir, enqueue: deps.enqueue, communication: deps.communication },
      { pipeline: input.pipeline, requester: callerOf(c).name, purpose: input.purpose, selection: input.selection },
    );
    c.header('Location', `/api/v1/tickets/${formatTicketNumber(ticket.number)}`);
    return c.json(ticketSummary(ticket), 201);
  });

  app.openapi(list, async (c) => {
    const caller = callerOf(c);
    const query = c.req.valid('query');
    let rows = db
      .selectFrom('tickets')
      .selectAll()
      .where(visibleTo(caller))
      .orderBy('number', 'desc')
      .limit(query.limit ?? 100);
    if (query.state) rows = rows.where('state', '=', query.state);
    if (query.mine === 'true') rows = rows.where('requester', '=', caller.name);
    return c.json({ tickets: await ticketSummaries(db, await rows.execute()) }, 200);
  });

  app.openapi(show, async (c) => {
    const ticket = await visible(callerOf(c), c.req.valid('param').id);
    return c.json(await ticketView(db, ticket), 200);
  });

  app.openapi(cancel, async (c) => {
    const caller = callerOf(c);
    const ticket = await visible(caller, c.req.valid('param').id);
    return c.json(ticketSummary(await cancelTicket(db, ticket, caller, deps.purge)), 200);
  });

  app.openapi(decide, async (c) => {
    const caller = callerOf(c);
    const ticket = await visible(caller, c.req.valid('param').id);
    const result = await decideTicketApproval(db, ticket, caller, c.req.valid('json'), {
      enqueue: deps.enqueue,
      purge: deps.purge,
      communication: deps.communication,
      onApprovalSettled: deps.onApprovalSettled,
    });
    return c.json(
      {
        ticket: ticketSummary(result.ticket),
        approvals: result.status.approvals,
        requiredApprovals: result.status.required,
        requesterConfirmation: result.status.requesterConfirmation,
      },
      200,
    );
  });

  app.openapi(escalate, async (c) => {
    const caller = callerOf(c);
    const ticket = await visible(caller, c.req.valid('param').id);
    const escalation = await escalateAndNotify(db, ticket.id, caller.name, {
      slaMinutes: deps.escalationSlaMinutes,
      communication: deps.communication,
    });
    const current = escalation.created ? escalation.ticket : await getTicketRow(db, ticket.id);
    const [summary] = await ticketSummaries(db, [current]);
    return c.json({ ticket: summary!, operator: escalation.operator, created: escalation.created }, 200);
  });
}
