import os from 'node:os';
import { createRuntime } from '../../runtime.js';
import { loadPipeline } from '../../pipelines/pipeline-loader.js';
import { loadTicketDetails } from '../../tickets/ticket-presenter.js';
import { submitTicket } from '../../tickets/submit-ticket.js';
import type { Db } from '../../db/database.js';
import { createMailTransport } from '../../notify/mail-sender.js';
import { OutboxWorker } from '../../notify/outbox-worker.js';
import { getTicketRow } from '../../tickets/ticket-store.js';
import { ACTIVE_STATES, formatTicketNumber } from '../../tickets/states.js';
import type { CliContext } from '../cli-context.js';
import { createProgressBar } from '../progress-bar.js';

export interface RunOptions {
  pipeline: string;
  requester?: string | undefined;
  purpose?: string | undefined;
  json: boolean;
}

/** States a foreground run prints and exits on: the ticket is done, or waits for people. */
const SETTLED_EXIT: Record<string, number> = { failed: 1 };

/**
 * `airlock run <pipeline>`: submits a ticket (enqueued with it, in one transaction), works the queue
 * in this process until that ticket settles, and prints the outcome.
 */
export async function runCommand(ctx: CliContext, options: RunOptions): Promise<number> {
  const pipeline = await loadPipeline(ctx.config.pipelinesDir, options.pipeline);
  const runtime = await createRuntime(ctx.config, ctx.logger, { queue: true, env: ctx.env });
  // Build the pipeline's connectors, checks and policy once up front: a misconfiguration is reported
  // here, before a ticket exists, instead of as a failed ticket.
  await runtime.resolvePipeline(pipeline.name).then(
    (resolved) => resolved.close(),
    async (error: unknown) => {
      await runtime.close();
      throw error;
    },
  );
  const bar = options.json ? undefined : createProgressBar(ctx.stderr, ctx.interactive);
  try {
    const queue = runtime.queue!;
    const ticket = await submitTicket(
      {
        db: runtime.store.db,
        pipelinesDir: ctx.config.pipelinesDir,
        enqueue: (trx, id) => queue.enqueue(id, trx),
        communication: runtime.communication,
      },
      {
        pipeline: pipeline.name,
        requester: options.requester ?? os.userInfo().username,
        purpose: options.purpose ?? `manual run of ${pipeline.name}`,
      },
    );
    if (!options.json) ctx.stderr.write(`${formatTicketNumber(ticket.number)} submitted for pipeline ${pipeline.name}\n`);
    runtime.onProgress((event) => {
      if (event.ticketId === ticket.id) bar?.update(event);
    });
    await runtime.startWorkers();
    let current = ticket;
    while (ACTIVE_STATES.has(current.state)) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      current = await getTicketRow(runtime.store.db, ticket.id);
    }
    bar?.finish();
    // The mails this run wrote go out now (or, with no SMTP_URL, into the local outbox).
    const transport = createMailTransport(ctx.config.mail);
    await new OutboxWorker({ db: runtime.store.db, transport, from: ctx.config.mail.from, logger: ctx.logger }).runOnce();
    const details = await loadTicketDetails(runtime.store.db, current);
    if (options.json) {
      ctx.stdout.write(JSON.stringify(details) + '\n');
    } else {
      ctx.stdout.write(renderOutcome(details));
      if (current.state === 'awaiting_approval') ctx.stdout.write(await renderAsked(runtime.store.db, current.id, transport !== undefined));
    }
    return SETTLED_EXIT[current.state] ?? 0;
  } finally {
    await runtime.close();
  }
}

function renderOutcome(t: Awaited<ReturnType<typeof loadTicketDetails>>): string {
  const delivered = t.items.filter((i) => i.state === 'delivered');
  const stopped = t.items.filter((i) => i.state !== 'delivered');
  const lines = [`${t.id} ${t.state}: ${delivered.length} delivered, ${stopped.length} not delivered`];
  for (const item of t.items) {
    const why = item.state === 'delivered' ? '' : ` (${item.error ?? (item.reasons.join('; ') || item.state)})`;
    lines.push(`  ${item.state.padEnd(9)} ${item.path}${why}`);
  }
  if (t.failureReason) lines.push(`  reason: ${t.failureReason}`);
  lines.push(`Details: npx airlock ticket ${t.id}`);
  return lines.join('\n') + '\n';
}

/** Who was asked to decide, and where to find the mails. */
async function renderAsked(db: Db, ticketId: string, smtp: boolean): Promise<string> {
  const mails = await db
    .selectFrom('mails')
    .select(['to_user', 'to_address', 'kind'])
    .where('ticket_id', '=', ticketId)
    .where('kind', '=', 'review-request')
    .orderBy('created_at')
    .execute();
  if (mails.length === 0) return 'Nobody could be asked: the pipeline names no approver with an e-mail address.\n';
  const asked = mails.map((m) => `${m.to_user ?? m.to_address} <${m.to_address}>`).join(', ');
  const where = smtp ? 'by e-mail' : 'in the local outbox (`npx airlock outbox`)';
  return `Awaiting approval: asked ${asked}; their review requests are ${where}.\n`;
}
