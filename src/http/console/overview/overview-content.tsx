import type { Child } from 'hono/jsx';
import { PALETTE } from './chart-parts.js';
import { OUTCOMES, type Outcome, type OverviewStats } from './overview-stats.js';
import { HorizontalBarChart, LatencyChart, StackedBarChart } from './svg-charts.js';
import { BYTES, formatBytes, formatCount, formatDuration, formatShare } from './value-units.js';

const OUTCOME_SERIES: Readonly<Record<Outcome, { label: string; color: string }>> = {
  delivered: { label: 'Delivered', color: PALETTE.blue },
  blocked: { label: 'Blocked', color: PALETTE.vermillion },
  rejected: { label: 'Rejected or expired', color: PALETTE.purple },
  cancelled: { label: 'Cancelled', color: PALETTE.grey },
  failed: { label: 'Failed', color: PALETTE.black },
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** `2024-03-02` → `2 Mar`, for axes; tables keep the full date. */
export function shortDay(day: string): string {
  const [, month, date] = day.split('-');
  return `${Number(date)} ${MONTHS[Number(month) - 1] ?? ''}`;
}

/**
 * The Overview page's body (the console layout wraps it): headline numbers, then the five charts, each
 * followed by its data as a table. Everything shown is a count, a size, a time or a detector name: never
 * an item name or a finding's excerpt.
 */
export function OverviewContent({ stats, controls }: { stats: OverviewStats; controls?: Child }) {
  const { days } = stats;
  const first = days[0] ?? '';
  const last = days[days.length - 1] ?? '';
  const period = `${first} to ${last} (UTC)`;
  const finished = stats.ticketsPerDay.reduce((sum, d) => sum + OUTCOMES.reduce((s, o) => s + d.outcomes[o], 0), 0);
  const delivered = stats.ticketsPerDay.reduce((sum, d) => sum + d.outcomes.delivered, 0);
  const bytes = stats.bytesByPipeline.reduce((sum, p) => sum + p.bytes, 0);
  const breaches = stats.slaBreachesPerDay.reduce((sum, d) => sum + d.count, 0);
  const median = stats.approvalLatency.overall.medianSeconds;
  const common = { categories: days, formatCategory: shortDay, categoryTitle: 'Day (UTC)' };

  return (
    <div class="overview">
      <h1>Overview</h1>
      <p class="period">
        Last {days.length} days: {period}.
      </p>
      {controls}
      <dl class="kpis">
        <Kpi label="Tickets finished" value={formatCount(finished)} />
        <Kpi
          label="Delivered"
          value={formatShare(delivered, finished)}
          note={`${formatCount(delivered)} of ${formatCount(finished)} tickets`}
        />
        <Kpi label="Bytes moved" value={formatBytes(bytes)} />
        <Kpi
          label="Median approval wait"
          value={median === null ? '—' : formatDuration(median)}
          note={`over ${formatCount(stats.approvalLatency.overall.count)} decisions`}
        />
        <Kpi
          label="SLA breaches"
          value={formatCount(breaches)}
          note={`open escalations past their SLA now: ${formatCount(stats.openEscalationsPastSla)}`}
        />
      </dl>
      <div class="charts">
        <StackedBarChart
          id="overview-outcomes"
          title="Tickets per day by outcome"
          description={`Tickets finished each day from ${period}, stacked by how they ended: ${formatCount(finished)} in total, ${formatCount(delivered)} delivered.`}
          caption="Tickets by the day they finished. Delivered includes partial deliveries; rejected includes expired reviews."
          valueTitle="Tickets"
          series={OUTCOMES.map((o) => ({ ...OUTCOME_SERIES[o], values: stats.ticketsPerDay.map((d) => d.outcomes[o]) }))}
          {...common}
        />
        <HorizontalBarChart
          id="overview-bytes"
          title="Bytes moved per pipeline"
          description={`Sizes of the files delivered from ${period}, per pipeline: ${formatBytes(bytes)} in total.`}
          caption="Only files actually written to their destination are counted."
          categoryTitle="Pipeline"
          valueTitle="Bytes delivered"
          unit={BYTES}
          color={PALETTE.blue}
          bars={stats.bytesByPipeline.map((p) => ({ label: p.pipeline, value: p.bytes }))}
        />
        <LatencyChart
          id="overview-latency"
          title="Approval waiting time"
          description={`Median and 90th percentile of the time tickets waited for approval, by the day they were decided, from ${period}.`}
          caption="From entering awaiting approval to being approved, rejected or expired. Days without decisions have no point."
          valueTitle="Waiting time"
          series={[
            { label: 'Median', color: PALETTE.blue, values: stats.approvalLatency.perDay.map((d) => d.medianSeconds) },
            { label: '90th percentile', color: PALETTE.vermillion, values: stats.approvalLatency.perDay.map((d) => d.p90Seconds) },
          ]}
          {...common}
        />
        <HorizontalBarChart
          id="overview-findings"
          title="Findings by detector"
          description={`How many findings each detector reported on the tickets created from ${period}.`}
          caption="Counts per detector; the findings themselves are on each ticket's page, for its participants."
          categoryTitle="Detector"
          valueTitle="Findings"
          color={PALETTE.purple}
          bars={stats.findingsByDetector.map((f) => ({ label: f.detector, value: f.count }))}
        />
        <StackedBarChart
          id="overview-sla"
          title="SLA breaches per day"
          description={`Tickets whose response or resolution SLA was reported breached each day from ${period}: ${formatCount(breaches)} in total.`}
          caption={`By the day the breach was reported. Open escalations past their response SLA now: ${formatCount(stats.openEscalationsPastSla)}.`}
          valueTitle="Breaches"
          series={[{ label: 'SLA breaches', color: PALETTE.vermillion, values: stats.slaBreachesPerDay.map((d) => d.count) }]}
          {...common}
        />
      </div>
    </div>
  );
}

function Kpi(props: { label: string; value: string; note?: string }) {
  return (
    <div class="kpi">
      <dt>{props.label}</dt>
      <dd>
        <span class="kpi-value">{props.value}</span>
        {/* The space keeps value and note apart where the stylesheet does not (reader view, screen readers). */}
        {props.note && <span class="kpi-note"> {props.note}</span>}
      </dd>
    </div>
  );
}
