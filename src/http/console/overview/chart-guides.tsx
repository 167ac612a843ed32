/** What a chart draws around its data: the legend, the axes and the point markers of lines. */
import type { Child } from 'hono/jsx';
import { FONT_SIZE, GRID, INK, round2, textWidth, VIEW_WIDTH } from './chart-parts.js';

export interface LegendEntry {
  label: string;
  color: string;
  /** How the entry's mark is drawn: a filled square (bars) or a line with its point marker. */
  mark?: 'square' | 'line';
  dashed?: boolean;
  marker?: Marker;
}

const LEGEND_ROW = 20;

/** Where each legend entry goes, wrapping to a new row at `width`. */
export function legendLayout(entries: readonly LegendEntry[], width: number): { x: number; y: number }[] {
  let x = 0;
  let row = 0;
  return entries.map((entry) => {
    const w = 28 + textWidth(entry.label) + 16;
    if (x > 0 && x + w > width) {
      x = 0;
      row++;
    }
    const at = { x, y: row * LEGEND_ROW };
    x += w;
    return at;
  });
}

/** Height of the legend drawn from `x` to the right edge. */
export function legendHeight(entries: readonly LegendEntry[], x: number): number {
  const rows = Math.max(0, ...legendLayout(entries, VIEW_WIDTH - x - 8).map((p) => p.y)) / LEGEND_ROW + 1;
  return rows * LEGEND_ROW;
}

export function Legend(props: { entries: readonly LegendEntry[]; x: number; y: number }) {
  const at = legendLayout(props.entries, VIEW_WIDTH - props.x - 8);
  return (
    <g class="chart-legend" transform={`translate(${props.x} ${props.y})`}>
      {props.entries.map((entry, i) => {
        const { x, y } = at[i]!;
        return (
          <g transform={`translate(${x} ${y})`}>
            {entry.mark === 'line' ? (
              <g>
                <line
                  x1={0}
                  y1={7}
                  x2={20}
                  y2={7}
                  stroke={entry.color}
                  stroke-width={2}
                  stroke-dasharray={entry.dashed ? '5 3' : undefined}
                />
                {entry.marker && <PointMarker shape={entry.marker} x={10} y={7} color={entry.color} />}
              </g>
            ) : (
              <rect x={4} y={1} width={12} height={12} fill={entry.color} />
            )}
            <text x={26} y={11}>
              {entry.label}
            </text>
          </g>
        );
      })}
    </g>
  );
}

/** Left margin of a chart with a vertical value axis: room for its rotated title and its widest tick label. */
export function valueAxisRoom(ticks: readonly number[], format: (v: number) => string): number {
  return Math.ceil(FONT_SIZE + 12 + Math.max(0, ...ticks.map((t) => textWidth(format(t)))));
}

/** Gridlines and labels of a vertical value axis from `ticks[0]` (at `bottom`) to the last tick (at `top`). */
export function ValueAxis(props: {
  ticks: readonly number[];
  format: (v: number) => string;
  left: number;
  right: number;
  top: number;
  bottom: number;
}) {
  const max = props.ticks[props.ticks.length - 1] ?? 1;
  return (
    <g class="chart-axis">
      {props.ticks.map((t) => {
        const y = round2(props.bottom - (t / max) * (props.bottom - props.top));
        return (
          <g>
            <line x1={props.left} y1={y} x2={props.right} y2={y} stroke={t === 0 ? INK : GRID} stroke-width={1} />
            <text x={props.left - 6} y={y + 4} text-anchor="end">
              {props.format(t)}
            </text>
          </g>
        );
      })}
    </g>
  );
}

/** Category labels under a band axis, thinned to every n-th when the bands are too narrow for all of them. */
export function CategoryAxis(props: { labels: readonly string[]; left: number; band: number; y: number; title: string }) {
  const widest = Math.max(0, ...props.labels.map(textWidth)) + 8;
  const every = Math.max(1, Math.ceil(widest / props.band));
  const right = props.left + props.band * props.labels.length;
  return (
    <g class="chart-axis">
      {props.labels.map((label, i) =>
        i % every === 0 ? (
          <text x={round2(props.left + props.band * (i + 0.5))} y={props.y + 17} text-anchor="middle">
            {label}
          </text>
        ) : null,
      )}
      <text x={round2((props.left + right) / 2)} y={props.y + 38} text-anchor="middle">
        {props.title}
      </text>
    </g>
  );
}

/** A vertical axis title, rotated, in the left margin. */
export function AxisTitle(props: { label: string; y: number }) {
  return (
    <text x={0} y={0} transform={`translate(${FONT_SIZE} ${props.y}) rotate(-90)`} text-anchor="middle">
      {props.label}
    </text>
  );
}

export type Marker = 'circle' | 'square' | 'triangle';

/** Point shapes differ by series, so lines are told apart without colour. */
export function PointMarker(props: { shape: Marker; x: number; y: number; color: string; children?: Child }) {
  const { x, y, color } = props;
  if (props.shape === 'square')
    return (
      <rect x={x - 4} y={y - 4} width={8} height={8} fill={color}>
        {props.children}
      </rect>
    );
  if (props.shape === 'triangle')
    return (
      <polygon points={`${x},${y - 5} ${x + 5},${y + 4} ${x - 5},${y + 4}`} fill={color}>
        {props.children}
      </polygon>
    );
  return (
    <circle cx={x} cy={y} r={4} fill={color}>
      {props.children}
    </circle>
  );
}
