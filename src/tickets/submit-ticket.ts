import { compileGlob } from '../../connectors/glob.js';
import type { Db } from '../db/database.js';
import type { TicketRow, TicketTrigger } from '../db/schema.js';
import { AirlockError } from '../errors.js';
import { loadPipelineCached } from '../pipelines/pipeline-loader.js';
import { acknowledgeSubmission, type CommunicationContext } from '../approvals/review-task.js';
import { createTicket } from './ticket-store.js';

export interface TicketSubmission {
  pipeline: string;
  requester: string;
  purpose: string;
  /** Narrows the pipeline's selection for this ticket: only source paths matching one of these globs. */
  selection?: { include: string[] } | undefined;
  /** A request (the default) or the pipeline's schedule. */
  trigger?: TicketTrigger;
  /** The failed ticket this one retries. */
  retryOf?: string | undefined;
}

export interface SubmitDeps {
  db: Db;
  pipelinesDir: string;
  /** Enqueues the ticket's job inside the ticket's own transaction (no ticket without its job). */
  enqueue: (trx: Db, ticketId: string) => Promise<void>;
  /** When set, the requester's acknowledgement mail is written with the ticket. */
  communication?: CommunicationContext | undefined;
}

/**
 * Creates a ticket for a pipeline, with the pipeline's delivery mode, policy, approvers and name redaction
 * copied onto it (a later edit of the YAML does not change an existing ticket), and enqueues it.
 */
export async function submitTicket(
  deps: SubmitDeps,
  submission: TicketSubmission,
  options: { reason?: string; afterInsert?: (trx: Db, row: TicketRow) => Promise<void> } = {},
): Promise<TicketRow> {
  const pipeline = await loadPipelineCached(deps.pipelinesDir, submission.pipeline);
  for (const [i, pattern] of (submission.selection?.include ?? []).entries()) {
    try {
      compileGlob(pattern);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new AirlockError('invalid_input', `selection.include[${i}] is not a valid glob: ${why}`);
    }
  }
  return createTicket(
    deps.db,
    {
      pipeline: pipeline.name,
      requester: submission.requester,
      purpose: submission.purpose,
      deliveryMode: pipeline.delivery,
      policy: pipeline.policy,
      redactNames: pipeline.redactNames,
      approvers: await approverNames(deps.db, pipeline.approvers),
      // A schedule's service identity cannot answer a mail: its runs are decided by the approvers alone.
      requesterConfirms: submission.trigger === 'schedule' ? false : pipeline.requesterConfirms,
      review: pipeline.review,
      resolutionDueAt: new Date((deps.communication?.clock.now() ?? new Date()).getTime() + pipeline.sla.resolutionHours * 3_600_000),
      ...(submission.selection ? { selection: submission.selection } : {}),
      ...(submission.retryOf ? { retryOf: submission.retryOf } : {}),
      ...(submission.trigger ? { trigger: submission.trigger } : {}),
    },
    {
      ...(options.reason ? { reason: options.reason } : {}),
      afterInsert: async (trx, row) => {
        await options.afterInsert?.(trx, row);
        await deps.enqueue(trx, row.id);
        if (deps.communication) await acknowledgeSubmission(trx, row, deps.communication);
      },
    },
  );
}

/** The pipeline's approvers as user names: named users as they are, groups expanded to their enabled members now. */
async function approverNames(db: Db, approvers: readonly ({ name: string } | { group: string })[]): Promise<string[]> {
  const names = approvers.filter((a): a is { name: string } => 'name' in a).map((a) => a.name);
  const groups = approvers.filter((a): a is { group: string } => 'group' in a).map((a) => a.group);
  if (groups.length > 0) {
    const members = await db
      .selectFrom('users')
      .select('name')
      .where('disabled_at', 'is', null)
      .where((eb) => eb.or(groups.map((g) => eb(eb.val(g), '=', eb.fn.any('groups')))))
      .orderBy('name')
      .execute();
    names.push(...members.map((m) => m.name));
  }
  return [...new Set(names)];
}

/**
 * An operator's "run now": a ticket for the pipeline requested by the operator, with their purpose or, without
 * one, `run of <pipeline> by <operator>`. The same from the API and the console.
 */
export function runPipelineNow(
  deps: SubmitDeps,
  run: { pipeline: string; operator: string; purpose?: string | undefined; selection?: { include: string[] } | undefined },
): Promise<TicketRow> {
  return submitTicket(deps, {
    pipeline: run.pipeline,
    requester: run.operator,
    purpose: run.purpose ?? `run of ${run.pipeline} by ${run.operator}`,
    selection: run.selection,
  });
}
