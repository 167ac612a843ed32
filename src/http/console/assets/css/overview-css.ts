/** The overview: headline numbers in a row that wraps, charts in a grid of at least 300 px columns. */
export const OVERVIEW_CSS = `
.period { color: var(--muted); margin-top: -.5rem; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(10rem, 1fr)); gap: .75rem; margin: 1rem 0 1.5rem; }
.kpi { border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; }
.kpi dt { color: var(--muted); font-size: .9rem; }
.kpi dd { margin: 0; }
.kpi-value { display: block; font-size: 1.5rem; font-weight: 700; font-variant-numeric: tabular-nums; }
.kpi-note { display: block; color: var(--muted); font-size: .85rem; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 420px), 1fr)); gap: 1.5rem; }
.chart-title { font-size: 1.05rem; margin: 0 0 .5rem; }
.chart { border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; min-width: 0; }
.chart-figure { margin: 0; }
.chart-figure figcaption { color: var(--muted); font-size: .9rem; margin-top: .25rem; }
.chart-svg { display: block; width: 100%; max-width: 720px; height: auto; }
.chart-data summary { cursor: pointer; color: var(--accent); margin-top: .5rem; }
.chart-data table { font-size: .9rem; }
`;
