import { formatUtc } from '../utc-time.js';
import { durationWords } from './time-text.js';

/** A ticket's response SLA has passed: the sweep marked it, or its due time is behind `now`. */
export function isBreached(ticket: { sla_due_at: Date | null; sla_breached_at: Date | null }, now: Date): boolean {
  return ticket.sla_breached_at !== null || (ticket.sla_due_at !== null && ticket.sla_due_at.getTime() <= now.getTime());
}

/** `due in 1 h 12 min` or `breached 25 min ago`: the words say it, never only a colour. */
export function slaText(due: Date, now: Date, breached: boolean): string {
  const left = due.getTime() - now.getTime();
  if (breached || left <= 0) return left <= 0 ? `breached ${durationWords(left)} ago` : 'breached';
  return `due in ${durationWords(left)}`;
}

/**
 * The SLA as a countdown: the text is right when the page is rendered (from the server's clock, `data-now`),
 * and the countdown script moves it on every 30 s, correcting for the browser's clock by that same `data-now`.
 * Not a live region: a screen reader should not be told every half minute.
 */
export function SlaCountdown(props: { due: Date; now: Date; breached: boolean }) {
  const { due, now, breached } = props;
  return (
    <span class="sla">
      <time
        datetime={due.toISOString()}
        data-countdown=""
        data-now={now.toISOString()}
        data-breached={breached ? 'true' : undefined}
        class={breached ? 'sla-breached' : 'sla-due'}
      >
        {slaText(due, now, breached)}
      </time>{' '}
      <span class="muted">{`(SLA ${formatUtc(due)})`}</span>
    </span>
  );
}
