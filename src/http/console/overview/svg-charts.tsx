/**
 * Charts as server-rendered SVG: no script, no inline style, every label escaped by JSX. Each one is a
 * `<figure>` followed by its data as a table (see chart-parts.tsx), says so when it has nothing to show,
 * and takes an `id` that must be unique on the page.
 */
import { chartText, ChartPanel, colorOf, GRID, INK, round2, textWidth, VIEW_WIDTH, type ChartText } from './chart-parts.js';
import {
  AxisTitle,
  CategoryAxis,
  Legend,
  legendHeight,
  PointMarker,
  ValueAxis,
  valueAxisRoom,
  type LegendEntry,
  type Marker,
} from './chart-guides.js';
import { COUNT, SECONDS, type ValueUnit } from './value-units.js';

/** One series of values, aligned with the chart's categories. */
export interface ChartSeries {
  label: string;
  /** One of PALETTE's colours; by default the series' position picks one. */
  color?: string;
  values: readonly number[];
}

interface BandChartProps extends ChartText {
  /** The x axis, in order (days, as YYYY-MM-DD). */
  categories: readonly string[];
  /** How a category is written under the axis; the table shows it as given. */
  formatCategory?: (category: string) => string;
  categoryTitle: string;
  valueTitle: string;
  unit?: ValueUnit;
}

const RIGHT = 12;
const PLOT_HEIGHT = 200;
const BOTTOM = 48;

export interface StackedBarChartProps extends BandChartProps {
  series: readonly ChartSeries[];
}

/** One bar per category, stacked by series; bar segment heights are proportional to their values. */
export function StackedBarChart(props: StackedBarChartProps) {
  const unit = props.unit ?? COUNT;
  const n = props.categories.length;
  const totals = props.categories.map((_, i) => props.series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  const entries: LegendEntry[] = props.series.map((s, i) => ({ label: s.label, color: colorOf(i, s.color) }));
  const ticks = unit.ticks(Math.max(0, ...totals));
  const max = ticks[ticks.length - 1]!;
  const left = valueAxisRoom(ticks, unit.format);
  const top = legendHeight(entries, left) + 16;
  const bottom = top + PLOT_HEIGHT;
  const band = (VIEW_WIDTH - left - RIGHT) / Math.max(1, n);
  const barWidth = round2(band * 0.7);
  const label = props.formatCategory ?? ((c: string) => c);
  const table = {
    headers: [props.categoryTitle, ...props.series.map((s) => s.label), 'Total'],
    rows: props.categories.map((c, i) => [c, ...props.series.map((s) => unit.format(s.values[i] ?? 0)), unit.format(totals[i]!)]),
  };
  return (
    <ChartPanel {...chartText(props)} height={bottom + BOTTOM} isEmpty={totals.every((t) => t === 0)} table={table}>
      <Legend entries={entries} x={left} y={8} />
      <AxisTitle label={props.valueTitle} y={(top + bottom) / 2} />
      <ValueAxis ticks={ticks} format={unit.format} left={left} right={VIEW_WIDTH - RIGHT} top={top} bottom={bottom} />
      <g class="chart-bars">
        {props.categories.map((category, i) => {
          let y = bottom;
          const x = round2(left + band * i + (band - barWidth) / 2);
          return props.series.map((s, j) => {
            const value = s.values[i] ?? 0;
            if (value <= 0) return null;
            const height = round2((value / max) * PLOT_HEIGHT);
            y -= height;
            return (
              <rect
                class="bar"
                x={x}
                y={round2(y)}
                width={barWidth}
                height={height}
                fill={colorOf(j, s.color)}
                stroke="#FFFFFF"
                stroke-width={0.5}
                data-value={value}
              >
                <title>{`${category} · ${s.label}: ${unit.format(value)}`}</title>
              </rect>
            );
          });
        })}
      </g>
      <CategoryAxis labels={props.categories.map(label)} left={left} band={band} y={bottom} title={props.categoryTitle} />
    </ChartPanel>
  );
}

export interface HorizontalBarChartProps extends ChartText {
  bars: ReadonlyArray<{ label: string; value: number }>;
  /** Names the values: the legend entry and the table column. */
  valueTitle: string;
  categoryTitle: string;
  unit?: ValueUnit;
  color?: string;
}

const ROW = 44;
/** SVG cannot wrap text: longer labels are cut, and shown whole in the table and the bar's tooltip. */
const MAX_LABEL = Math.floor((VIEW_WIDTH - 16) / textWidth('x'));

/** One labelled bar per entry, in the order given, each with its value written at its end. */
export function HorizontalBarChart(props: HorizontalBarChartProps) {
  const unit = props.unit ?? COUNT;
  const color = colorOf(0, props.color);
  const entries: LegendEntry[] = [{ label: props.valueTitle, color }];
  const left = 8;
  const top = legendHeight(entries, left) + 16;
  const ticks = unit.ticks(Math.max(0, ...props.bars.map((b) => b.value)));
  const max = ticks[ticks.length - 1]!;
  // Room on the right for the longest value written after its bar, and for the last tick label.
  const valueRoom = Math.max(...[...props.bars.map((b) => b.value), max].map((v) => textWidth(unit.format(v)))) + 12;
  const plotWidth = VIEW_WIDTH - left - valueRoom;
  const bottom = top + ROW * props.bars.length;
  const table = { headers: [props.categoryTitle, props.valueTitle], rows: props.bars.map((b) => [b.label, unit.format(b.value)]) };
  return (
    <ChartPanel {...chartText(props)} height={bottom + 50} isEmpty={props.bars.every((b) => b.value <= 0)} table={table}>
      <Legend entries={entries} x={left} y={8} />
      <g class="chart-axis">
        {ticks.map((t) => {
          const x = round2(left + (t / max) * plotWidth);
          return (
            <g>
              <line x1={x} y1={top} x2={x} y2={bottom} stroke={t === 0 ? INK : GRID} stroke-width={1} />
              <text x={x} y={bottom + 18} text-anchor={t === 0 ? 'start' : 'middle'}>
                {unit.format(t)}
              </text>
            </g>
          );
        })}
        <text x={round2(left + plotWidth / 2)} y={bottom + 38} text-anchor="middle">
          {props.valueTitle}
        </text>
      </g>
      <g class="chart-bars">
        {props.bars.map((bar, i) => {
          const y = top + ROW * i;
          const width = round2((Math.max(0, bar.value) / max) * plotWidth);
          const shown = bar.label.length > MAX_LABEL ? `${bar.label.slice(0, MAX_LABEL - 1)}…` : bar.label;
          return (
            <g>
              <text x={left + 4} y={y + 15}>
                {shown}
              </text>
              <rect class="bar" x={left} y={y + 21} width={width} height={16} fill={color} data-value={bar.value}>
                <title>{`${bar.label}: ${unit.format(bar.value)}`}</title>
              </rect>
              <text x={round2(left + width + 6)} y={y + 34}>
                {unit.format(bar.value)}
              </text>
            </g>
          );
        })}
      </g>
    </ChartPanel>
  );
}

export interface LatencyChartProps extends BandChartProps {
  /** Values per category (seconds unless `unit` says otherwise); null where there is none (the line breaks there). */
  series: ReadonlyArray<{ label: string; color?: string; values: ReadonlyArray<number | null> }>;
}

const MARKERS: readonly Marker[] = ['circle', 'square', 'triangle'];

/** One line per series (e.g. median and p90 waiting time per day), told apart by colour, dash and marker. */
export function LatencyChart(props: LatencyChartProps) {
  const unit = props.unit ?? SECONDS;
  const n = props.categories.length;
  const entries: LegendEntry[] = props.series.map((s, i) => ({
    label: s.label,
    color: colorOf(i, s.color),
    mark: 'line',
    dashed: i > 0,
    marker: MARKERS[i % MARKERS.length]!,
  }));
  const all = props.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const ticks = unit.ticks(Math.max(0, ...all));
  const max = ticks[ticks.length - 1]!;
  const left = valueAxisRoom(ticks, unit.format);
  const top = legendHeight(entries, left) + 16;
  const bottom = top + PLOT_HEIGHT;
  const band = (VIEW_WIDTH - left - RIGHT) / Math.max(1, n);
  const xOf = (i: number) => round2(left + band * (i + 0.5));
  const yOf = (v: number) => round2(bottom - (v / max) * PLOT_HEIGHT);
  const table = {
    headers: [props.categoryTitle, ...props.series.map((s) => s.label)],
    rows: props.categories.map((c, i) => [c, ...props.series.map((s) => (s.values[i] == null ? '—' : unit.format(s.values[i]!)))]),
  };
  return (
    <ChartPanel {...chartText(props)} height={bottom + BOTTOM} isEmpty={all.length === 0} table={table}>
      <Legend entries={entries} x={left} y={8} />
      <AxisTitle label={props.valueTitle} y={(top + bottom) / 2} />
      <ValueAxis ticks={ticks} format={unit.format} left={left} right={VIEW_WIDTH - RIGHT} top={top} bottom={bottom} />
      {props.series.map((s, j) => {
        const color = colorOf(j, s.color);
        return (
          <g class="chart-line">
            <path
              d={linePath(s.values, xOf, yOf)}
              fill="none"
              stroke={color}
              stroke-width={2}
              stroke-dasharray={j > 0 ? '5 3' : undefined}
            />
            {s.values.map((v, i) =>
              v === null ? null : (
                <PointMarker shape={MARKERS[j % MARKERS.length]!} x={xOf(i)} y={yOf(v)} color={color}>
                  <title>{`${props.categories[i]} · ${s.label}: ${unit.format(v)}`}</title>
                </PointMarker>
              ),
            )}
          </g>
        );
      })}
      <CategoryAxis
        labels={props.categories.map(props.formatCategory ?? ((c) => c))}
        left={left}
        band={band}
        y={bottom}
        title={props.categoryTitle}
      />
    </ChartPanel>
  );
}

/** `M x y L x y …`, starting a new segment after each gap. */
function linePath(values: ReadonlyArray<number | null>, xOf: (i: number) => number, yOf: (v: number) => number): string {
  let d = '';
  let drawing = false;
  values.forEach((v, i) => {
    if (v === null) {
      drawing = false;
      return;
    }
    d += `${drawing ? 'L' : 'M'}${xOf(i)} ${yOf(v)} `;
    drawing = true;
  });
  return d.trim();
}
