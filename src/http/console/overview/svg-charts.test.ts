import { describe, expect, it } from 'vitest';
import { PALETTE, VIEW_WIDTH } from './chart-parts.js';
import { HorizontalBarChart, LatencyChart, StackedBarChart } from './svg-charts.js';
import { BYTES } from './value-units.js';

type Rendered = ReturnType<typeof StackedBarChart>;

/** hono/jsx elements render through toString(); a tree with no async component gives a string at once. */
async function html(element: Rendered): Promise<string> {
  return await (await element).toString();
}

const HOSTILE = '<script>alert(1)</script>';
const ATTRIBUTE = '"onload=alert(1) x="';
const text = (id: string) => ({ id, title: `Title of ${id}`, description: `Description of ${id}.`, caption: `Caption of ${id}` });
const days = ['2024-03-01', '2024-03-02', '2024-03-03'];

const stacked = (values: [number[], number[]], extra: { label?: string; category?: string } = {}) =>
  StackedBarChart({
    ...text('stacked'),
    categories: extra.category ? [...days.slice(0, 2), extra.category] : days,
    categoryTitle: 'Day (UTC)',
    valueTitle: 'Tickets',
    series: [
      { label: extra.label ?? 'Delivered', values: values[0] },
      { label: 'Failed', color: PALETTE.black, values: values[1] },
    ],
  });
const horizontal = (bars: Array<{ label: string; value: number }>) =>
  HorizontalBarChart({ ...text('bytes'), bars, categoryTitle: 'Pipeline', valueTitle: 'Bytes delivered', unit: BYTES });
const latency = (median: Array<number | null>, p90: Array<number | null>) =>
  LatencyChart({
    ...text('latency'),
    categories: days,
    categoryTitle: 'Day (UTC)',
    valueTitle: 'Waiting time',
    series: [
      { label: 'Median', values: median },
      { label: '90th percentile', values: p90 },
    ],
  });

/** Each `<rect class="bar">` as its drawn length (height or width) and the value it carries. */
function bars(markup: string, length: 'height' | 'width'): Array<{ size: number; value: number }> {
  return [...markup.matchAll(/<rect class="bar"[^>]*>/g)].map(([tag]) => ({
    size: Number(new RegExp(` ${length}="([\\d.]+)"`).exec(tag)?.[1]),
    value: Number(/ data-value="([\d.]+)"/.exec(tag)?.[1]),
  }));
}

function expectProportional(drawn: Array<{ size: number; value: number }>): void {
  expect(drawn.length).toBeGreaterThan(1);
  const ratio = drawn[0]!.size / drawn[0]!.value;
  for (const bar of drawn) expect(bar.size).toBeCloseTo(bar.value * ratio, 1);
}

describe('svg charts', () => {
  it('escapes labels, titles and categories: a script or an attribute break-out shows only as text', async () => {
    const charts = [
      await html(
        stacked(
          [
            [1, 2, 3],
            [0, 1, 0],
          ],
          { label: HOSTILE, category: ATTRIBUTE },
        ),
      ),
      await html(
        horizontal([
          { label: HOSTILE, value: 10 },
          { label: ATTRIBUTE, value: 5 },
        ]),
      ),
      await html(
        LatencyChart({
          ...text('x'),
          title: HOSTILE,
          description: ATTRIBUTE,
          categories: [ATTRIBUTE],
          categoryTitle: HOSTILE,
          valueTitle: 'w',
          series: [{ label: HOSTILE, values: [5] }],
        }),
      ),
    ];
    for (const markup of charts) {
      expect(markup).not.toContain('<script');
      expect(markup).not.toContain('"onload=');
      expect(markup).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    }
    expect(charts[0]).toContain('&quot;onload=alert(1) x=&quot;');
    expect(charts[1]).toContain('&quot;onload=alert(1) x=&quot;');
  });

  it('draws stacked segments and horizontal bars with lengths proportional to their values', async () => {
    const columns = bars(
      await html(
        stacked([
          [1, 2, 4],
          [3, 0, 5],
        ]),
      ),
      'height',
    );
    expect(columns.map((b) => b.value)).toEqual([1, 3, 2, 4, 5]);
    expectProportional(columns);
    const rows = bars(
      await html(
        horizontal([
          { label: 'finance', value: 3 * 1024 ** 2 },
          { label: 'hr', value: 1024 ** 2 },
          { label: 'ops', value: 512 },
        ]),
      ),
      'width',
    );
    expectProportional(rows);
  });

  it('says "No data in this period" when there is nothing to draw, in the picture and in the table', async () => {
    for (const markup of [
      await html(
        stacked([
          [0, 0, 0],
          [0, 0, 0],
        ]),
      ),
      await html(horizontal([])),
      await html(latency([null, null, null], [null, null, null])),
    ]) {
      expect(markup).toContain('<text class="chart-empty"');
      expect(markup.match(/No data in this period/g)).toHaveLength(3); // desc, picture, table
      expect(markup).not.toContain('class="bar"');
      expect(markup).not.toContain('<path');
    }
  });

  it('renders a self-contained, labelled, responsive svg: no style attribute, no script, title and desc named by aria-labelledby', async () => {
    for (const [id, markup] of [
      [
        'stacked',
        await html(
          stacked([
            [1, 2, 3],
            [1, 1, 1],
          ]),
        ),
      ],
      ['bytes', await html(horizontal([{ label: 'finance', value: 2048 }]))],
      ['latency', await html(latency([60, null, 300], [90, null, 600]))],
    ] as const) {
      expect(markup).not.toMatch(/\sstyle=/i);
      expect(markup).not.toMatch(/<script|<style|javascript:|\son[a-z]+=/i);
      expect(markup).toMatch(
        new RegExp(`^<div class="chart"><h2 class="chart-title">Title of ${id}</h2><figure class="chart-figure"><svg `),
      );
      expect(markup).toMatch(new RegExp(`<svg [^>]*viewBox="0 0 ${VIEW_WIDTH} \\d+"[^>]* width="100%"[^>]* role="img" aria-labelledby=`));
      expect(markup).toContain(`aria-labelledby="${id}-title ${id}-desc"`);
      expect(markup).toContain(`<title id="${id}-title">Title of ${id}</title>`);
      expect(markup).toContain(`<desc id="${id}-desc">Description of ${id}.</desc>`);
      expect(markup).toContain(
        `<figcaption>Caption of ${id}</figcaption></figure><details class="chart-data"><summary>Data as a table</summary><table>`,
      );
      expect(markup).toContain('class="chart-legend"');
    }
  });

  it('repeats every value in the table fallback', async () => {
    const table = (markup: string) => markup.slice(markup.indexOf('<table>'));
    const s = table(
      await html(
        stacked([
          [1, 22, 4],
          [3, 0, 57],
        ]),
      ),
    );
    for (const row of [
      ['2024-03-01', '1', '3', '4'],
      ['2024-03-02', '22', '0', '22'],
      ['2024-03-03', '4', '57', '61'],
    ]) {
      expect(s).toContain(
        `<tr><th scope="row">${row[0]}</th>${row
          .slice(1)
          .map((v) => `<td>${v}</td>`)
          .join('')}</tr>`,
      );
    }
    const h = table(
      await html(
        horizontal([
          { label: 'finance', value: 3 * 1024 ** 2 },
          { label: 'ops', value: 512 },
        ]),
      ),
    );
    expect(h).toContain('<tr><th scope="row">finance</th><td>3 MiB</td></tr>');
    expect(h).toContain('<tr><th scope="row">ops</th><td>512 B</td></tr>');
    const l = table(await html(latency([60, null, 5400], [90, null, 86_400])));
    expect(l).toContain('<tr><th scope="row">2024-03-01</th><td>1 min</td><td>1 min 30 s</td></tr>');
    expect(l).toContain('<tr><th scope="row">2024-03-02</th><td>—</td><td>—</td></tr>');
    expect(l).toContain('<tr><th scope="row">2024-03-03</th><td>1 h 30 min</td><td>1 d</td></tr>');
  });

  it('breaks a line where a day has no value and marks each point', async () => {
    const markup = await html(latency([60, null, 300], [90, 120, 600]));
    const paths = [...markup.matchAll(/<path d="([^"]*)"/g)].map((m) => m[1]!);
    expect(paths[0]!.match(/M/g)).toHaveLength(2);
    expect(paths[1]!.match(/M/g)).toHaveLength(1);
    expect(markup.match(/<circle /g)).toHaveLength(2 + 1); // two points, and the legend's marker
    expect(markup).toContain('stroke-dasharray="5 3"');
  });

  it('uses colours that reach 4.5:1 against white', () => {
    const luminance = (hex: string) => {
      const [r, g, b] = [1, 3, 5]
        .map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
        .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    for (const color of Object.values(PALETTE)) expect(1.05 / (luminance(color) + 0.05)).toBeGreaterThanOrEqual(4.5);
  });
});
