import { formatBytes } from '../../../cli/progress-bar.js';
import { TERMINAL_STATES, type ItemState, type TicketState } from '../../../tickets/states.js';

export { formatBytes };

export { formatUtc, UtcTime as Time } from '../utc-time.js';

/** A ticket's state as a text badge; the colour only repeats what the text says. */
export function StateBadge(props: { state: TicketState; live?: boolean }) {
  return (
    <span class={`badge state-${props.state}`} data-ticket-state={props.state} data-live-state={props.live ? '' : undefined}>
      {stateWords(props.state)}
    </span>
  );
}

/** `awaiting_approval` → `awaiting approval`: a state as people read it (the page's script writes the same). */
export function stateWords(state: TicketState): string {
  return state.replace(/_/g, ' ');
}

export function isTerminal(state: TicketState): boolean {
  return TERMINAL_STATES.has(state);
}

/** The engine's latest progress record (see `ProgressTracker`): counts only, never names. */
export interface ProgressCounts {
  phase: string;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

/** The ticket's `progress` column read defensively: it is JSON written by the engine, absent before it starts. */
export function progressOf(raw: Record<string, unknown> | null): ProgressCounts | null {
  if (!raw) return null;
  const count = (key: string) => (typeof raw[key] === 'number' && Number.isFinite(raw[key]) ? Math.max(0, raw[key]) : 0);
  return {
    phase: typeof raw.phase === 'string' ? raw.phase : 'working',
    filesDone: count('filesDone'),
    filesTotal: count('filesTotal'),
    bytesDone: count('bytesDone'),
    bytesTotal: count('bytesTotal'),
  };
}

/** `value`/`max` for a `<progress>`: bytes when the phase has any, files otherwise (the CLI's bar does the same). */
export function progressRatio(p: ProgressCounts): { value: number; max: number } {
  if (p.bytesTotal > 0) return { value: Math.min(p.bytesDone, p.bytesTotal), max: p.bytesTotal };
  if (p.filesTotal > 0) return { value: Math.min(p.filesDone, p.filesTotal), max: p.filesTotal };
  return { value: 1, max: 1 };
}

/** `deliver: 3/5 files, 1.2 MiB/4.0 MiB`. */
export function progressText(p: ProgressCounts | null): string {
  if (!p) return 'not started';
  const bytes = p.bytesTotal > 0 ? `, ${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}` : '';
  return `${p.phase}: ${p.filesDone}/${p.filesTotal} files${bytes}`;
}

/** At most `max` characters (whole code points), with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/**
 * How far one file has come through its three steps (fetched into staging, inspected, delivered), for its
 * own progress bar; a file that stopped (blocked, held for review, failed) keeps the steps it made.
 */
export function itemStep(state: ItemState): { value: number; max: number; label: string } {
  const reached: Record<ItemState, number> = { pending: 0, staged: 1, inspected: 2, held: 2, blocked: 2, failed: 0, delivered: 3 };
  const words: Record<ItemState, string> = {
    pending: 'waiting to be fetched',
    staged: 'fetched',
    inspected: 'inspected',
    held: 'inspected, held for review',
    blocked: 'inspected, blocked',
    failed: 'failed',
    delivered: 'delivered',
  };
  return { value: reached[state], max: 3, label: `${words[state]} (${reached[state]} of 3 steps)` };
}
