/**
 * The ticket state machine. Every transition Airlock makes is listed here; the store refuses others.
 *
 *   requested → fetching → inspecting → allowed → delivering → delivered | partially_delivered
 *   inspecting → blocked
 *   inspecting → awaiting_approval → approved → delivering
 *   awaiting_approval → rejected | expired
 *   any active state → failed;  requested | awaiting_approval → cancelled
 */
export const TICKET_STATES = [
  'requested',
  'fetching',
  'inspecting',
  'allowed',
  'awaiting_approval',
  'approved',
  'delivering',
  'delivered',
  'partially_delivered',
  'blocked',
  'rejected',
  'expired',
  'cancelled',
  'failed',
] as const;
export type TicketState = (typeof TICKET_STATES)[number];

/** States from which nothing moves on. */
export const TERMINAL_STATES: ReadonlySet<TicketState> = new Set([
  'delivered',
  'partially_delivered',
  'blocked',
  'rejected',
  'expired',
  'cancelled',
  'failed',
]);

/** States in which automation is working on the ticket (a crash here is resumed, or ends `failed`). */
export const ACTIVE_STATES: ReadonlySet<TicketState> = new Set([
  'requested',
  'fetching',
  'inspecting',
  'allowed',
  'approved',
  'delivering',
]);

const TRANSITIONS: Readonly<Record<TicketState, readonly TicketState[]>> = {
  requested: ['fetching', 'cancelled', 'failed'],
  fetching: ['inspecting', 'failed'],
  inspecting: ['allowed', 'blocked', 'awaiting_approval', 'failed'],
  allowed: ['delivering', 'failed'],
  awaiting_approval: ['approved', 'rejected', 'expired', 'cancelled', 'failed'],
  approved: ['delivering', 'failed'],
  delivering: ['delivered', 'partially_delivered', 'failed'],
  delivered: [],
  partially_delivered: [],
  blocked: [],
  rejected: [],
  expired: [],
  cancelled: [],
  failed: [],
};

export function canTransition(from: TicketState, to: TicketState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The states a ticket may be in when it moves to `to`; the guard of the UPDATE. */
export function sourcesOf(to: TicketState): TicketState[] {
  return TICKET_STATES.filter((from) => TRANSITIONS[from].includes(to));
}

export type Severity = 'low' | 'normal' | 'high' | 'critical';
export type Verdict = 'allow' | 'review' | 'block';
export const VERDICT_RANK: Readonly<Record<Verdict, number>> = { allow: 0, review: 1, block: 2 };

/**
 * Item states: `pending` (listed) → `staged` (fetched and hashed) → `inspected` (verdict set) →
 * `delivered`, or ends `blocked` (policy), `held` (not delivered because the ticket as a whole was not
 * allowed, or a reviewer did not approve) or `failed` (a transfer error).
 */
export type ItemState = 'pending' | 'staged' | 'inspected' | 'delivered' | 'blocked' | 'held' | 'failed';

export type DeliveryMode = 'all-or-nothing' | 'per-item';

export function formatTicketNumber(n: number): string {
  return `T-${String(n).padStart(6, '0')}`;
}

/** Accepts `T-000123`, `123` or a uuid; returns which one it is. */
export function parseTicketRef(ref: string): { number: number } | { id: string } | undefined {
  const m = /^(?:T-)?(\d{1,12})$/i.exec(ref.trim());
  if (m) return { number: Number(m[1]) };
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ref.trim())) return { id: ref.trim().toLowerCase() };
  return undefined;
}
