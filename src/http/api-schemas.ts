import { z } from '@hono/zod-openapi';
import { TICKET_STATES } from '../tickets/states.js';

/** Every request body is a strict object: an unknown field is an error, not silently ignored. */

export const TicketRefParam = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' }, example: 'T-000123', description: 'T-000123, the number, or the uuid' }),
});

export const PipelineNameParam = z.object({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,63}$/)
    .openapi({ param: { name: 'name', in: 'path' }, example: 'vendor-a-to-b' }),
});

/** How long the reason for releasing a quarantined item may be, in characters. */
export const RELEASE_REASON_LENGTH = { min: 3, max: 1000 } as const;
/** How long a ticket's purpose may be, in characters (the console says so in its messages). */
export const PURPOSE_LENGTH = { min: 3, max: 500 } as const;
const purpose = z
  .string()
  .trim()
  .min(PURPOSE_LENGTH.min)
  .max(PURPOSE_LENGTH.max)
  .openapi({ example: 'Quarterly statements for the auditors' });

export const Selection = z
  .strictObject({
    include: z
      .array(z.string().min(1).max(512))
      .min(1)
      .max(100)
      .openapi({ example: ['statements/2026-*.csv'] }),
  })
  .openapi('Selection', { description: 'Narrows what the pipeline selects, for this ticket only' });

export const NewTicketBody = z
  .strictObject({ pipeline: z.string().min(1).max(64).openapi({ example: 'vendor-a-to-b' }), purpose, selection: Selection.optional() })
  .openapi('NewTicket');

export const RunPipelineBody = z.strictObject({ purpose: purpose.optional(), selection: Selection.optional() }).openapi('RunPipeline');

export const DecisionBody = z
  .strictObject({ decision: z.enum(['approve', 'reject']), comment: z.string().trim().max(1000).optional() })
  .openapi('DecisionInput');

export const EmptyBody = z.strictObject({}).optional();

export const ListTicketsQuery = z.strictObject({
  state: z
    .enum(TICKET_STATES)
    .optional()
    .openapi({ param: { name: 'state', in: 'query' } }),
  mine: z
    .enum(['true', 'false'])
    .optional()
    .openapi({ param: { name: 'mine', in: 'query' }, description: 'true: only tickets you requested' }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(500)
    .optional()
    .openapi({ param: { name: 'limit', in: 'query' } }),
});

const progress = z.record(z.string(), z.unknown()).nullable();

export const TicketSummary = z
  .object({
    id: z.string(),
    uuid: z.string(),
    pipeline: z.string(),
    requester: z.string(),
    purpose: z.string(),
    state: z.enum(TICKET_STATES),
    severity: z.string(),
    deliveryMode: z.string(),
    policy: z.string(),
    failureReason: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    finishedAt: z.string().nullable(),
    progress,
    escalatedAt: z.string().nullable(),
    slaDueAt: z.string().nullable(),
  })
  .openapi('TicketSummary');

const Item = z.object({
  seq: z.number(),
  path: z.string(),
  size: z.number().nullable(),
  sha256: z.string().nullable(),
  type: z.object({ mime: z.string(), ext: z.string().nullable() }).nullable(),
  state: z.string(),
  verdict: z.string().nullable(),
  rule: z.string().nullable(),
  reasons: z.array(z.string()),
  destination: z.string().nullable(),
  error: z.string().nullable(),
  checks: z.array(
    z.object({ check: z.string(), version: z.string(), status: z.string(), durationMs: z.number(), error: z.string().nullable() }),
  ),
});

const Finding = z.object({
  item: z.number().optional(),
  check: z.string(),
  detector: z.string(),
  severity: z.string(),
  confidence: z.number(),
  location: z.record(z.string(), z.unknown()),
  excerpt: z.string().nullable().openapi({ description: 'Masked: never a whole sensitive value' }),
});

const Approval = z.object({
  user: z.string(),
  decision: z.enum(['approve', 'reject']),
  comment: z.string().nullable(),
  at: z.string(),
  valid: z.boolean().openapi({ description: 'False once the content manifest or policy version changed since it was given' }),
  asRequester: z.boolean().openapi({ description: "The requester's confirmation, never counted as an approval" }),
  channel: z.enum(['api', 'email', 'web']),
});

const RequesterConfirmation = z.object({ required: z.boolean(), given: z.boolean() });

export const TicketDetails = TicketSummary.extend({
  items: z.array(Item),
  findings: z.array(Finding),
  decision: z
    .object({
      verdict: z.string(),
      rule: z.string(),
      reasons: z.array(z.string()),
      policy: z.string(),
      policyVersion: z.string(),
      decidedAt: z.string(),
    })
    .nullable(),
  events: z.array(
    z.object({
      seq: z.number(),
      at: z.string(),
      actor: z.string(),
      from: z.string().nullable(),
      to: z.string(),
      reason: z.string().nullable(),
    }),
  ),
  approvers: z.array(z.string()),
  operators: z.array(z.string()),
  approvals: z.array(Approval),
  requiredApprovals: z.array(
    z.object({ count: z.number(), groups: z.array(z.string()), distinctGroups: z.boolean(), missing: z.number() }),
  ),
  requesterConfirmation: RequesterConfirmation,
}).openapi('TicketDetails');

export const TicketList = z.object({ tickets: z.array(TicketSummary) }).openapi('TicketList');

export const DecisionResult = z
  .object({
    ticket: TicketSummary,
    approvals: z.array(Approval),
    requiredApprovals: z.array(
      z.object({ count: z.number(), groups: z.array(z.string()), distinctGroups: z.boolean(), missing: z.number() }),
    ),
  })
  .openapi('DecisionResult');

export const EscalationResult = z.object({ ticket: TicketSummary, operator: z.string(), created: z.boolean() }).openapi('EscalationResult');

export const PipelineSummary = z
  .object({
    name: z.string(),
    description: z.string().nullable(),
    source: z.string().openapi({ description: 'Connector kind' }),
    destination: z.string(),
    policy: z.string(),
    delivery: z.string(),
    checks: z.array(z.string()),
    trigger: z.string(),
  })
  .openapi('PipelineSummary');

export const PipelineList = z
  .object({ pipelines: z.array(PipelineSummary), errors: z.array(z.string()).openapi({ description: 'Files that did not load' }) })
  .openapi('PipelineList');

export const Me = z.object({ name: z.string(), roles: z.array(z.string()), groups: z.array(z.string()) }).openapi('Me');

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number(),
    code: z.string().openapi({ description: 'Stable error code' }),
    detail: z.string(),
    instance: z.string(),
    requestId: z.string().optional(),
  })
  .openapi('Problem');

export const QuarantineIdParam = z.object({
  id: z
    .string()
    .max(64)
    .openapi({
      param: { name: 'id', in: 'path' },
      example: '5b0d7c1e-2f4a-4e8b-9c3d-1a2b3c4d5e6f',
      description: 'The quarantined item id',
    }),
});

const QUARANTINE_STATES = ['held', 'release_requested', 'released', 'purged'] as const;

export const ListQuarantineQuery = z.strictObject({
  state: z
    .enum(QUARANTINE_STATES)
    .optional()
    .openapi({ param: { name: 'state', in: 'query' }, description: 'Only items in this state; default: held and release_requested' }),
});

export const ReleaseBody = z
  .strictObject({
    reason: z
      .string()
      .trim()
      .min(RELEASE_REASON_LENGTH.min)
      .max(RELEASE_REASON_LENGTH.max)
      .openapi({ example: 'Vendor confirmed the tool is the signed installer' }),
  })
  .openapi('ReleaseInput');

export const CancelReleaseBody = z.strictObject({ reason: z.string().trim().max(1000).optional() }).optional();

export const QuarantinedItem = z
  .object({
    id: z.string(),
    ticket: z.string().openapi({ example: 'T-000123' }),
    ticketId: z.string(),
    pipeline: z.string(),
    seq: z.number(),
    name: z.string().openapi({ description: 'The item path, or sha256:<hash> when the pipeline redacts names' }),
    size: z.number().nullable(),
    sha256: z.string().nullable(),
    rule: z.string().nullable().openapi({ description: 'The policy rule that blocked it' }),
    detectors: z.array(z.object({ check: z.string(), detector: z.string(), count: z.number() })),
    until: z.string().openapi({ description: 'Purged after this unless released' }),
    state: z.enum(QUARANTINE_STATES),
    requestedBy: z.string().nullable(),
    requestedAt: z.string().nullable(),
    reason: z.string().nullable(),
    releasedBy: z.string().nullable(),
    releasedAt: z.string().nullable(),
    destination: z.string().nullable().openapi({ description: 'Where it was released to: T-000123/<path>, or T-000123/item-<seq>' }),
    purgedAt: z.string().nullable(),
  })
  .openapi('QuarantinedItem');

export const QuarantineList = z.object({ items: z.array(QuarantinedItem) }).openapi('QuarantineList');

export const ReleaseResult = z
  .object({
    outcome: z.enum(['release_requested', 'released']).openapi({ description: 'release_requested: a second person must approve' }),
    item: QuarantinedItem,
  })
  .openapi('ReleaseResult');
