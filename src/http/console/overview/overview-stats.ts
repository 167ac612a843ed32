import { sql, type Expression } from 'kysely';
import type { Db } from '../../../db/database.js';
import { AirlockError } from '../../../errors.js';
import type { TicketState } from '../../../tickets/states.js';

/** How a finished ticket ended, as the overview groups terminal states. */
export const OUTCOMES = ['delivered', 'blocked', 'rejected', 'cancelled', 'failed'] as const;
export type Outcome = (typeof OUTCOMES)[number];

const OUTCOME_OF: Partial<Record<TicketState, Outcome>> = {
  delivered: 'delivered',
  partially_delivered: 'delivered',
  blocked: 'blocked',
  rejected: 'rejected',
  expired: 'rejected',
  cancelled: 'cancelled',
  failed: 'failed',
};

/** The moves out of awaiting_approval that a person's answer (or its absence) caused; cancel and failure are not waits for approval. */
const APPROVAL_EXITS = ['approved', 'rejected', 'expired'] as const satisfies readonly TicketState[];

export interface LatencySummary {
  /** Tickets that left awaiting_approval. */
  count: number;
  /** Null when `count` is 0. Interpolated (percentile_cont), in seconds. */
  medianSeconds: number | null;
  p90Seconds: number | null;
}

export interface OverviewStats {
  /** Every UTC day of the window as YYYY-MM-DD, oldest first, today last. */
  days: string[];
  /** Start of the first day and end of the last (exclusive). */
  from: Date;
  to: Date;
  /** Tickets that finished on each day (`finished_at`), by outcome; one entry per day, zeros included. */
  ticketsPerDay: Array<{ day: string; outcomes: Record<Outcome, number> }>;
  /** Sizes of the items delivered in the window, per pipeline, most bytes first. */
  bytesByPipeline: Array<{ pipeline: string; bytes: number; items: number }>;
  /** Time in awaiting_approval of the tickets that left it in the window, overall and per day left. */
  approvalLatency: { overall: LatencySummary; perDay: Array<{ day: string } & LatencySummary> };
  /** Findings of the tickets created in the window, per detector, most first. Names and counts only. */
  findingsByDetector: Array<{ detector: string; count: number }>;
  /** Tickets whose SLA breach was reported on each day; one entry per day, zeros included. */
  slaBreachesPerDay: Array<{ day: string; count: number }>;
  /** Escalated tickets, still open, whose response SLA has passed at `now`. */
  openEscalationsPastSla: number;
}

export interface OverviewStatsOptions {
  now: Date;
  /** How many UTC days, today included (1–366). */
  days: number;
}

const DAY_MS = 86_400_000;

/**
 * The overview's numbers for the last `days` UTC days. Every query is limited to the window (or, for open
 * escalations, to unfinished tickets) and aggregates in SQL, so the cost follows the window, not the history.
 * Plain PostgreSQL only (percentile_cont, to_char, lateral join), which embedded PGlite runs the same.
 */
export async function loadOverviewStats(db: Db, options: OverviewStatsOptions): Promise<OverviewStats> {
  const { days: count, now } = options;
  if (!Number.isInteger(count) || count < 1 || count > 366) {
    throw new AirlockError('invalid_input', `The overview covers 1 to 366 days; ${count} was asked for.`);
  }
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const from = new Date(today - (count - 1) * DAY_MS);
  const to = new Date(today + DAY_MS);
  const days = Array.from({ length: count }, (_, i) => new Date(from.getTime() + i * DAY_MS).toISOString().slice(0, 10));
  const period = { from, to };

  const [finished, bytes, latency, findings, breaches, open] = await Promise.all([
    finishedByDay(db, period),
    bytesByPipeline(db, period),
    approvalLatency(db, period),
    findingsByDetector(db, period),
    breachesByDay(db, period),
    openEscalationsPastSla(db, now),
  ]);

  const ticketsPerDay = days.map((day) => ({ day, outcomes: Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number> }));
  for (const row of finished) {
    const outcome = OUTCOME_OF[row.state];
    const entry = ticketsPerDay.find((d) => d.day === row.day);
    if (outcome && entry) entry.outcomes[outcome] += Number(row.n);
  }
  const breachCounts = new Map(breaches.map((b) => [b.day, Number(b.n)]));
  const latencyByDay = new Map(latency.filter((r) => r.day !== null).map((r) => [r.day, summary(r)]));
  const overall = latency.find((r) => r.day === null);
  return {
    days,
    from,
    to,
    ticketsPerDay,
    bytesByPipeline: bytes.map((r) => ({ pipeline: r.pipeline, bytes: Number(r.bytes), items: Number(r.items) })),
    approvalLatency: {
      overall: overall ? summary(overall) : { count: 0, medianSeconds: null, p90Seconds: null },
      perDay: days.map((day) => ({ day, ...(latencyByDay.get(day) ?? { count: 0, medianSeconds: null, p90Seconds: null }) })),
    },
    findingsByDetector: findings.map((r) => ({ detector: r.detector, count: Number(r.n) })),
    slaBreachesPerDay: days.map((day) => ({ day, count: breachCounts.get(day) ?? 0 })),
    openEscalationsPastSla: Number(open?.n ?? 0),
  };
}

interface Period {
  from: Date;
  to: Date;
}

/** The UTC calendar day of a timestamp, whatever the session's time zone. */
function utcDay(column: Expression<Date | null>) {
  return sql<string>`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD')`;
}

/** Milliseconds are plenty, and rounding drops float noise from the interpolation (35280.00000000003). */
const seconds = (value: number | string | null) => (value === null ? null : Math.round(Number(value) * 1000) / 1000);

function summary(row: { n: number | string; median: number | string | null; p90: number | string | null }): LatencySummary {
  return { count: Number(row.n), medianSeconds: seconds(row.median), p90Seconds: seconds(row.p90) };
}

function finishedByDay(db: Db, { from, to }: Period) {
  const day = utcDay(sql.ref('finished_at'));
  return db
    .selectFrom('tickets')
    .select([day.as('day'), 'state', (eb) => eb.fn.countAll<number>().as('n')])
    .where('finished_at', '>=', from)
    .where('finished_at', '<', to)
    .groupBy([day, 'state'])
    .execute();
}

/** An item's `updated_at` is when it became `delivered`: nothing changes a delivered item afterwards. */
function bytesByPipeline(db: Db, { from, to }: Period) {
  return db
    .selectFrom('items as i')
    .innerJoin('tickets as t', 't.id', 'i.ticket_id')
    .select(['t.pipeline', sql<string>`coalesce(sum(i.size), 0)`.as('bytes'), (eb) => eb.fn.countAll<number>().as('items')])
    .where('i.state', '=', 'delivered')
    .where('i.updated_at', '>=', from)
    .where('i.updated_at', '<', to)
    .groupBy('t.pipeline')
    .orderBy('bytes', 'desc')
    .orderBy('t.pipeline')
    .execute();
}

/**
 * Each exit from awaiting_approval in the window, paired with the latest entry into it before that exit,
 * then median and p90 per day of exit and, through `rollup`, over the whole window (the row whose day is null).
 */
function approvalLatency(db: Db, { from, to }: Period) {
  return db
    .with('waits', (qb) =>
      qb
        .selectFrom('ticket_events as x')
        .innerJoinLateral(
          (eb) =>
            eb
              .selectFrom('ticket_events as e')
              .select((e) => e.fn.max('e.at').as('entered'))
              .whereRef('e.ticket_id', '=', 'x.ticket_id')
              .whereRef('e.seq', '<', 'x.seq')
              .where('e.to_state', '=', 'awaiting_approval')
              .where('e.from_state', '<>', 'awaiting_approval')
              .as('en'),
          (join) => join.onTrue(),
        )
        .select([utcDay(sql.ref('x.at')).as('day'), sql<number>`extract(epoch from (x.at - en.entered))::float8`.as('seconds')])
        .where('x.from_state', '=', 'awaiting_approval')
        .where('x.to_state', 'in', APPROVAL_EXITS)
        .where('x.at', '>=', from)
        .where('x.at', '<', to)
        .where('en.entered', 'is not', null),
    )
    .selectFrom('waits')
    .select([
      sql<string | null>`waits.day`.as('day'),
      (eb) => eb.fn.countAll<number>().as('n'),
      sql<number | null>`percentile_cont(0.5) within group (order by waits.seconds)`.as('median'),
      sql<number | null>`percentile_cont(0.9) within group (order by waits.seconds)`.as('p90'),
    ])
    .groupBy(sql`rollup (waits.day)`)
    .execute();
}

/** Findings carry no time of their own; a ticket is inspected right after it is created, so its `created_at` dates them. */
function findingsByDetector(db: Db, { from, to }: Period) {
  return db
    .selectFrom('findings as f')
    .innerJoin('tickets as t', 't.id', 'f.ticket_id')
    .select(['f.detector', (eb) => eb.fn.countAll<number>().as('n')])
    .where('t.created_at', '>=', from)
    .where('t.created_at', '<', to)
    .groupBy('f.detector')
    .orderBy('n', 'desc')
    .orderBy('f.detector')
    .execute();
}

function breachesByDay(db: Db, { from, to }: Period) {
  const day = utcDay(sql.ref('sla_breached_at'));
  return db
    .selectFrom('tickets')
    .select([day.as('day'), (eb) => eb.fn.countAll<number>().as('n')])
    .where('sla_breached_at', '>=', from)
    .where('sla_breached_at', '<', to)
    .groupBy(day)
    .execute();
}

/** Due at or before `now` counts as past, as the review clock that reports breaches counts it. */
function openEscalationsPastSla(db: Db, now: Date) {
  return db
    .selectFrom('tickets')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('escalated_at', 'is not', null)
    .where('finished_at', 'is', null)
    .where('sla_due_at', '<=', now)
    .executeTakeFirst();
}
