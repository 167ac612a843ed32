import { describe, expect, it } from 'vitest';
import { OverviewContent, shortDay } from './overview-content.js';
import type { OverviewStats } from './overview-stats.js';

const days = ['2024-03-01', '2024-03-02'];
const stats: OverviewStats = {
  days,
  from: new Date('2024-03-01T00:00:00Z'),
  to: new Date('2024-03-03T00:00:00Z'),
  ticketsPerDay: [
    { day: days[0]!, outcomes: { delivered: 3, blocked: 1, rejected: 0, cancelled: 0, failed: 0 } },
    { day: days[1]!, outcomes: { delivered: 0, blocked: 0, rejected: 0, cancelled: 0, failed: 0 } },
  ],
  bytesByPipeline: [{ pipeline: 'finance', bytes: 1536, items: 2 }],
  approvalLatency: {
    overall: { count: 2, medianSeconds: 600, p90Seconds: 900 },
    perDay: [
      { day: days[0]!, count: 2, medianSeconds: 600, p90Seconds: 900 },
      { day: days[1]!, count: 0, medianSeconds: null, p90Seconds: null },
    ],
  },
  findingsByDetector: [{ detector: 'credit_card', count: 4 }],
  slaBreachesPerDay: [
    { day: days[0]!, count: 0 },
    { day: days[1]!, count: 2 },
  ],
  openEscalationsPastSla: 1,
};

describe('overview content', () => {
  it('shows the headline numbers and the five charts, each id once, no inline style or script', async () => {
    const markup = await (await OverviewContent({ stats })).toString();
    expect(markup).toContain('<h1>Overview</h1>');
    const kpis = [...markup.matchAll(/<dt>([^<]+)<\/dt><dd><span class="kpi-value">([^<]+)<\/span>/g)].map((m) => [m[1], m[2]]);
    expect(kpis).toEqual([
      ['Tickets finished', '4'],
      ['Delivered', '75%'],
      ['Bytes moved', '1.5 KiB'],
      ['Median approval wait', '10 min'],
      ['SLA breaches', '2'],
    ]);
    expect(markup).toContain('open escalations past their SLA now: 1');
    expect(markup.match(/<figure /g)).toHaveLength(5);
    expect(markup.match(/<summary>Data as a table<\/summary>/g)).toHaveLength(5);
    const ids = [...markup.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(10);
    expect(markup).not.toMatch(/\sstyle=|<script|<style/i);
  });

  it('writes days short on axes', () => {
    expect(shortDay('2024-03-02')).toBe('2 Mar');
    expect(shortDay('2024-12-31')).toBe('31 Dec');
  });
});
