import type { TicketTrigger } from '../../../db/schema.js';
import { ActionsSection, type TicketActions } from './ticket-actions.js';
import { isTerminal, progressOf, progressRatio, progressText, StateBadge, Time } from './ticket-format.js';
import {
  ApprovalsSection,
  DecisionSection,
  FindingsSection,
  ItemsTable,
  TimelineSection,
  type TicketViewModel,
} from './ticket-sections.js';

export interface TicketDetailProps {
  view: TicketViewModel;
  trigger: TicketTrigger;
  actions: TicketActions;
  csrf: string;
}

/**
 * One ticket. The parts that change while automation works (state, progress, item states) sit under the
 * `data-live` root, which the console script refreshes from the live URL; without the script, "Refresh"
 * reloads the page.
 */
export function TicketDetail(props: TicketDetailProps) {
  const { view } = props;
  const href = `/ui/tickets/${view.id}`;
  const terminal = isTerminal(view.state);
  const progress = progressOf(view.progress);
  const ratio = progress ? progressRatio(progress) : { value: 0, max: 1 };
  return (
    <article
      class="ticket"
      data-live={`${href}/live`}
      data-state={view.state}
      data-terminal={String(terminal)}
      aria-labelledby="ticket-heading"
    >
      <h1 id="ticket-heading">{view.id}</h1>
      <p class="ticket-status">
        <span>State: </span>
        <StateBadge state={view.state} live />
        {!terminal && (
          <>
            {' '}
            <a href={href} class="refresh">
              Refresh
            </a>
          </>
        )}
      </p>
      <p class="sr-only" aria-live="polite" data-live-announce=""></p>
      <dl class="facts">
        <dt>Pipeline</dt>
        <dd>{`${view.pipeline} (${view.deliveryMode}, policy ${view.policy})`}</dd>
        <dt>Requester</dt>
        <dd>{view.requester}</dd>
        <dt>Purpose</dt>
        <dd class="purpose">{view.purpose}</dd>
        <dt>Trigger</dt>
        <dd>{props.trigger === 'schedule' ? 'the pipeline’s schedule' : 'a request'}</dd>
        <dt>Severity</dt>
        <dd>{view.severity}</dd>
        <dt>Created</dt>
        <dd>
          <Time at={view.createdAt} />
        </dd>
        <dt>Updated</dt>
        <dd>
          <Time at={view.updatedAt} />
        </dd>
        <dt>Finished</dt>
        <dd>
          <Time at={view.finishedAt} empty="not yet" />
        </dd>
        <dt>Escalation</dt>
        <dd>
          {view.escalatedAt ? (
            <>
              {`Escalated `}
              <Time at={view.escalatedAt} />
              {`; handled by ${view.operators.join(', ') || 'no operator yet'}`}
              {view.slaDueAt && (
                <>
                  {'; answer due by '}
                  <Time at={view.slaDueAt} />
                </>
              )}
            </>
          ) : (
            'not escalated'
          )}
        </dd>
        {view.failureReason && (
          <>
            <dt>Why it failed</dt>
            <dd>{view.failureReason}</dd>
          </>
        )}
      </dl>
      <ActionsSection view={view} actions={props.actions} csrf={props.csrf} />
      <section aria-labelledby="items-heading">
        <h2 id="items-heading">Files</h2>
        <p class="progress-line">
          <label for="ticket-progress" class="inline">
            Progress
          </label>{' '}
          <progress id="ticket-progress" value={String(ratio.value)} max={String(ratio.max)} data-live-progress="">
            {progressText(progress)}
          </progress>{' '}
          <span data-live-progress-text="">{progressText(progress)}</span>
        </p>
        <ItemsTable items={view.items} />
      </section>
      <FindingsSection findings={view.findings} />
      <DecisionSection decision={view.decision} />
      <ApprovalsSection view={view} />
      <TimelineSection events={view.events} />
    </article>
  );
}
