import type { Child } from 'hono/jsx';

/**
 * Okabe–Ito hues (told apart with the common colour-vision deficiencies), darkened until each has at
 * least 4.5:1 contrast against white, so a colour can also be the colour of text next to it.
 */
export const PALETTE = {
  blue: '#0072B2',
  vermillion: '#B34700',
  green: '#007A5A',
  purple: '#A8507F',
  grey: '#555555',
  ochre: '#8A6100',
  black: '#222222',
} as const;

/** The order series take colours in when they do not name one. */
export const SERIES_COLORS: readonly string[] = Object.values(PALETTE);

export const INK = '#222222';
/** Gridlines are not text: they only need to be seen, not read. */
export const GRID = '#D6D6D6';
const EMPTY_TEXT = 'No data in this period';
const EMPTY_HEIGHT = 96;

/**
 * Every chart draws in this many user units across and the `<svg>` scales to its container's width: narrow
 * enough that 13-unit text stays about 10 px on a phone, wide enough for two weeks of labelled days.
 */
export const VIEW_WIDTH = 480;
export const FONT_SIZE = 13;

/** SVG cannot measure text before it is drawn; an average glyph of sans-serif text is about this wide. */
export function textWidth(text: string): number {
  return text.length * FONT_SIZE * 0.6;
}

/** The words around a chart: `id` must be unique on the page (it names the title and description). */
export interface ChartText {
  id: string;
  title: string;
  /** One or two sentences saying what the chart shows, read by screen readers with the title. */
  description: string;
  /** Shown under the chart. */
  caption: string;
}

/** The chart's data for the table fallback; the first cell of a row is its header. */
export interface DataTable {
  headers: readonly string[];
  rows: ReadonlyArray<readonly string[]>;
}

export const round2 = (n: number): number => Math.round(n * 100) / 100;

/** Just the words of a chart's props, for ChartPanel. */
export function chartText(props: ChartText): ChartText {
  return { id: props.id, title: props.title, description: props.description, caption: props.caption };
}

export function colorOf(index: number, color?: string): string {
  return color ?? SERIES_COLORS[index % SERIES_COLORS.length]!;
}

/**
 * A chart's frame: `<figure>` around a self-contained `<svg>` (its title and description named by
 * `aria-labelledby`), a `<figcaption>`, then the same data as a table in `<details>`. Only presentation
 * attributes: the console's content security policy refuses inline styles.
 */
export function ChartPanel(props: ChartText & { height: number; isEmpty: boolean; table: DataTable; children?: Child }) {
  const { id, isEmpty } = props;
  const height = isEmpty ? Math.min(props.height, EMPTY_HEIGHT) : props.height;
  return (
    <div class="chart">
      <h2 class="chart-title">{props.title}</h2>
      <figure class="chart-figure">
        <svg
          class="chart-svg"
          viewBox={`0 0 ${VIEW_WIDTH} ${height}`}
          width="100%"
          preserveAspectRatio="xMidYMid meet"
          role="img"
          aria-labelledby={`${id}-title ${id}-desc`}
          font-family="system-ui, -apple-system, 'Segoe UI', sans-serif"
          font-size={FONT_SIZE}
          fill={INK}
        >
          <title id={`${id}-title`}>{props.title}</title>
          <desc id={`${id}-desc`}>{isEmpty ? `${props.description} ${EMPTY_TEXT}.` : props.description}</desc>
          {isEmpty ? (
            <text class="chart-empty" x={VIEW_WIDTH / 2} y={height / 2} text-anchor="middle" font-size={FONT_SIZE + 2}>
              {EMPTY_TEXT}
            </text>
          ) : (
            props.children
          )}
        </svg>
        <figcaption>{props.caption}</figcaption>
      </figure>
      <details class="chart-data">
        <summary>Data as a table</summary>
        <table>
          <caption>{props.title}</caption>
          <thead>
            <tr>
              {props.table.headers.map((h) => (
                <th scope="col">{h}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {isEmpty ? (
              <tr>
                <td colspan={props.table.headers.length}>{EMPTY_TEXT}</td>
              </tr>
            ) : (
              props.table.rows.map((row) => <tr>{row.map((cell, i) => (i === 0 ? <th scope="row">{cell}</th> : <td>{cell}</td>))}</tr>)
            )}
          </tbody>
        </table>
      </details>
    </div>
  );
}
