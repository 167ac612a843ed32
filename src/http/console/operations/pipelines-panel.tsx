import { sql } from 'kysely';
import type { Db } from '../../../db/database.js';
import { nextOccurrences } from '../../../jobs/schedules.js';
import { loadPipelines } from '../../../pipelines/pipeline-loader.js';
import { brokenPipelineFiles, triggerText } from '../../pipeline-presenter.js';
import type { PipelineTrigger } from '../../../pipelines/pipeline-schema.js';
import { formatTicketNumber, type TicketState } from '../../../tickets/states.js';
import { PostForm } from '../layout.js';
import { UtcTime } from '../utc-time.js';
import { StateBadge } from '../tickets/ticket-format.js';
import { ticketHref } from './ticket-bits.js';

/** How many scheduled runs and tickets each pipeline shows. */
const RECENT = 3;

export interface PipelinePanel {
  name: string;
  description: string | null;
  trigger: PipelineTrigger;
  /** The schedule's next occurrence; null for a manual pipeline. */
  nextRun: Date | null;
  runs: { dueAt: Date; outcome: 'started' | 'skipped' | 'failed'; ticket: string | null; reason: string | null; caughtUp: boolean }[];
  tickets: { ref: string; state: TicketState; createdAt: Date }[];
}

/**
 * Every pipeline that loads, with its trigger, next scheduled run, last scheduled runs and last tickets; and
 * the files that do not load, by name only (their problems quote settings). Computed from the files and the
 * store, not from pg-boss: the console has no queue handle, and the schedules follow the files anyway.
 */
export async function loadPipelinePanels(db: Db, dir: string, now: Date): Promise<{ pipelines: PipelinePanel[]; brokenFiles: string[] }> {
  const set = await loadPipelines(dir);
  const loaded = [...set.pipelines.values()].sort((a, b) => a.name.localeCompare(b.name));
  const brokenFiles = brokenPipelineFiles(set).sort();
  if (loaded.length === 0) return { pipelines: [], brokenFiles };
  const names = loaded.map((p) => p.name);
  const [runs, tickets] = await Promise.all([
    db
      .selectFrom((eb) =>
        eb
          .selectFrom('schedule_runs as r')
          .leftJoin('tickets as t', 't.id', 'r.ticket_id')
          .select(['r.pipeline', 'r.due_at', 'r.outcome', 'r.reason', 'r.caught_up', 't.number'])
          .select(sql<number>`row_number() over (partition by r.pipeline order by r.due_at desc)`.as('rank'))
          .where('r.pipeline', 'in', names)
          .as('ranked'),
      )
      .selectAll()
      .where('rank', '<=', RECENT)
      .orderBy('due_at', 'desc')
      .execute(),
    db
      .selectFrom((eb) =>
        eb
          .selectFrom('tickets')
          .select(['pipeline', 'number', 'state', 'created_at'])
          .select(sql<number>`row_number() over (partition by pipeline order by number desc)`.as('rank'))
          .where('pipeline', 'in', names)
          .as('ranked'),
      )
      .selectAll()
      .where('rank', '<=', RECENT)
      .orderBy('number', 'desc')
      .execute(),
  ]);
  const pipelines = loaded.map((p) => ({
    name: p.name,
    description: p.description ?? null,
    trigger: p.trigger,
    nextRun: p.trigger.kind === 'schedule' ? (nextOccurrences(p.trigger.cron, p.trigger.timezone, now)[0] ?? null) : null,
    runs: runs
      .filter((r) => r.pipeline === p.name)
      .map((r) => ({
        dueAt: r.due_at,
        outcome: r.outcome,
        ticket: r.number === null ? null : formatTicketNumber(r.number),
        reason: r.reason,
        caughtUp: r.caught_up,
      })),
    tickets: tickets
      .filter((t) => t.pipeline === p.name)
      .map((t) => ({ ref: formatTicketNumber(t.number), state: t.state, createdAt: t.created_at })),
  }));
  return { pipelines, brokenFiles };
}

export function PipelinesSection(props: { pipelines: PipelinePanel[]; brokenFiles: string[]; csrf: string }) {
  return (
    <section aria-labelledby="pipelines">
      <h2 id="pipelines">Pipelines</h2>
      {props.brokenFiles.length > 0 && (
        <div class="error">
          <p>{`${props.brokenFiles.length === 1 ? 'This pipeline file does not load, so it cannot' : 'These pipeline files do not load, so they cannot'} run; "airlock validate" on the server says why:`}</p>
          <ul>
            {props.brokenFiles.map((file) => (
              <li>{file}</li>
            ))}
          </ul>
        </div>
      )}
      {props.pipelines.length === 0 ? (
        <p>No pipeline is configured.</p>
      ) : (
        <div class="pipeline-cards">
          {props.pipelines.map((p) => (
            <PipelineCard pipeline={p} csrf={props.csrf} />
          ))}
        </div>
      )}
    </section>
  );
}

function PipelineCard(props: { pipeline: PipelinePanel; csrf: string }) {
  const p = props.pipeline;
  const purposeId = `purpose-${p.name}`;
  return (
    <article class="card pipeline" aria-labelledby={`pipeline-${p.name}`}>
      <h3 id={`pipeline-${p.name}`}>{p.name}</h3>
      {p.description && <p>{p.description}</p>}
      <dl class="facts">
        <dt>Trigger</dt>
        <dd>{triggerText(p.trigger)}</dd>
        <dt>Next run</dt>
        <dd>{p.nextRun ? <UtcTime at={p.nextRun} /> : 'only when someone runs it'}</dd>
        {p.trigger.kind === 'schedule' && (
          <>
            <dt>Last scheduled runs</dt>
            <dd>
              {p.runs.length === 0 ? (
                'none yet'
              ) : (
                <ul class="plain">
                  {p.runs.map((run) => (
                    <li>
                      <UtcTime at={run.dueAt} />
                      {`: ${run.outcome}`}
                      {run.ticket && (
                        <>
                          {' '}
                          <a href={ticketHref(run.ticket)}>{run.ticket}</a>
                        </>
                      )}
                      {run.caughtUp && ' (caught up after downtime)'}
                      {/* A failure's reason can quote the pipeline file's settings; skips name only a ticket and its state. */}
                      {run.outcome === 'skipped' && run.reason && ` (${run.reason})`}
                      {run.outcome === 'failed' && ' (the server log and `airlock schedules` say why)'}
                    </li>
                  ))}
                </ul>
              )}
            </dd>
          </>
        )}
        <dt>Last tickets</dt>
        <dd>
          {p.tickets.length === 0 ? (
            'none yet'
          ) : (
            <ul class="plain">
              {p.tickets.map((t) => (
                <li>
                  <a href={ticketHref(t.ref)}>{t.ref}</a> <StateBadge state={t.state} /> <UtcTime at={t.createdAt} />
                </li>
              ))}
            </ul>
          )}
        </dd>
      </dl>
      <PostForm action={`/ui/pipelines/${p.name}/run`} csrf={props.csrf} label={`Run ${p.name} now`} class="run-now">
        <label for={purposeId}>
          Purpose <span class="hint">{`optional; without one it reads "run of ${p.name} by you"`}</span>
        </label>
        <input type="text" id={purposeId} name="purpose" maxlength={500} />
        <div class="buttons">
          <button type="submit">Run now</button>
        </div>
      </PostForm>
    </article>
  );
}
