import { compileGlob } from '../../connectors/glob.js';
import type { Db } from '../db/database.js';
import type { TicketRow } from '../db/schema.js';
import { AirlockError } from '../errors.js';
import { loadPipeline } from '../pipelines/pipeline-loader.js';
import { createTicket } from './ticket-store.js';

export interface TicketSubmission {
  pipeline: string;
  requester: string;
  purpose: string;
  /** Narrows the pipeline's selection for this ticket: only source paths matching one of these globs. */
  selection?: { include: string[] } | undefined;
}

export interface SubmitDeps {
  db: Db;
  pipelinesDir: string;
  /** Enqueues the ticket's job inside the ticket's own transaction (no ticket without its job). */
  enqueue: (trx: Db, ticketId: string) => Promise<void>;
}

/**
 * Creates a ticket for a pipeline, with the pipeline's delivery mode, policy, approvers and name redaction
 * copied onto it (a later edit of the YAML does not change an existing ticket), and enqueues it.
 */
export async function submitTicket(deps: SubmitDeps, submission: TicketSubmission): Promise<TicketRow> {
  const pipeline = await loadPipeline(deps.pipelinesDir, submission.pipeline);
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
      approvers: pipeline.approvers.map((a) => a.name),
      ...(submission.selection ? { selection: submission.selection } : {}),
    },
    { afterInsert: (trx, row) => deps.enqueue(trx, row.id) },
  );
}
