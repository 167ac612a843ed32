/**
 * A minimal Prometheus client: counters, gauges and histograms with labels, rendered in the text exposition
 * format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/). Dependency-free on purpose:
 * Airlock needs a dozen series, not a metrics framework. Wrong names or labels are programming errors and
 * throw TypeError/RangeError at once, so they surface in tests rather than as a broken scrape.
 */

/** What `GET /metrics` answers with. */
export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export type Labels<L extends string> = Readonly<Record<L, string>>;

export interface MetricOptions<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

/** One exposed line: the metric name plus a suffix (`_bucket`, `_sum`…), its label pairs and its value. */
interface Sample {
  suffix: string;
  labels: readonly (readonly [string, string])[];
  value: number;
}

/** What every metric shares: validated name, help and label names, and its series keyed by label values. */
export abstract class Metric<L extends string, S> {
  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly #series = new Map<string, { values: readonly string[]; state: S }>();

  constructor(options: MetricOptions<L>, reservedLabels: readonly string[] = []) {
    if (!METRIC_NAME.test(options.name)) throw new TypeError(`"${options.name}" is not a valid Prometheus metric name.`);
    const labelNames = options.labelNames ?? [];
    for (const label of labelNames) {
      // Names starting with __ are reserved for Prometheus itself.
      if (!LABEL_NAME.test(label) || label.startsWith('__') || reservedLabels.includes(label))
        throw new TypeError(`"${label}" is not a valid label name for the metric ${options.name}.`);
    }
    if (new Set(labelNames).size !== labelNames.length) throw new TypeError(`The metric ${options.name} names a label twice.`);
    this.name = options.name;
    this.help = options.help;
    this.labelNames = [...labelNames];
  }

  /** The state of one labelled series, created on first use. */
  protected series(labels: Labels<L>): S {
    const values = this.labelNames.map((name) => labels[name]);
    if (Object.keys(labels).length !== values.length || values.some((v) => typeof v !== 'string'))
      throw new TypeError(`The metric ${this.name} takes exactly the labels [${this.labelNames.join(', ')}].`);
    const key = JSON.stringify(values);
    let entry = this.#series.get(key);
    if (!entry) this.#series.set(key, (entry = { values, state: this.initial() }));
    return entry.state;
  }

  protected abstract initial(): S;
  protected abstract samples(state: S): Sample[];

  /** Forgets every series, for a collector that rebuilds them from scratch. */
  reset(): void {
    this.#series.clear();
  }

  /** The names of the samples this metric writes, so a registry can refuse two metrics that would collide. */
  sampleNames(): string[] {
    return [this.name];
  }

  /** HELP, TYPE and sample lines, series ordered by label values. A metric without labels shows its zero value. */
  lines(): string[] {
    const series = [...this.#series.values()].sort((a, b) => compareValues(a.values, b.values));
    if (series.length === 0 && this.labelNames.length === 0) series.push({ values: [], state: this.initial() });
    const out = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
    for (const { values, state } of series) {
      const own = this.labelNames.map((name, i) => [name, values[i] ?? ''] as const);
      for (const sample of this.samples(state)) out.push(sampleLine(this.name + sample.suffix, [...own, ...sample.labels], sample.value));
    }
    return out;
  }
}

export class Counter<L extends string = never> extends Metric<L, { value: number }> {
  readonly type = 'counter';

  /** Adds `by` (default 1) to the series; a counter never goes down. */
  inc(labels: Labels<L>, by = 1): void {
    if (!(by >= 0) || by === Infinity) throw new RangeError(`The counter ${this.name} can only grow by a finite amount, not ${by}.`);
    this.series(labels).value += by;
  }

  protected initial() {
    return { value: 0 };
  }

  protected samples(state: { value: number }): Sample[] {
    return [{ suffix: '', labels: [], value: state.value }];
  }
}

export class Gauge<L extends string = never> extends Metric<L, { value: number }> {
  readonly type = 'gauge';

  set(labels: Labels<L>, value: number): void {
    this.series(labels).value = value;
  }

  protected initial() {
    return { value: 0 };
  }

  protected samples(state: { value: number }): Sample[] {
    return [{ suffix: '', labels: [], value: state.value }];
  }
}

interface HistogramState {
  /** Observations per bucket, not cumulative; the last slot is +Inf. */
  counts: number[];
  sum: number;
}

export class Histogram<L extends string = never> extends Metric<L, HistogramState> {
  readonly type = 'histogram';
  /** Upper bounds, ascending; +Inf is implied. */
  readonly buckets: readonly number[];

  constructor(options: MetricOptions<L> & { buckets: readonly number[] }) {
    // `le` carries the bucket bound in the exposition.
    super(options, ['le']);
    const { buckets } = options;
    if (buckets.length === 0 || buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= buckets[i - 1]!)))
      throw new RangeError(`The histogram ${options.name} needs finite bucket bounds in strictly increasing order.`);
    this.buckets = [...buckets];
  }

  observe(labels: Labels<L>, value: number): void {
    // A NaN would poison _sum for the life of the process.
    if (Number.isNaN(value)) throw new RangeError(`The histogram ${this.name} cannot observe NaN.`);
    const state = this.series(labels);
    const index = this.buckets.findIndex((bound) => value <= bound);
    state.counts[index === -1 ? this.buckets.length : index]! += 1;
    state.sum += value;
  }

  override sampleNames(): string[] {
    return ['_bucket', '_sum', '_count'].map((suffix) => this.name + suffix);
  }

  protected initial(): HistogramState {
    return { counts: new Array<number>(this.buckets.length + 1).fill(0), sum: 0 };
  }

  protected samples(state: HistogramState): Sample[] {
    let cumulative = 0;
    const bounds = [...this.buckets.map(String), '+Inf'];
    const out = bounds.map((le, i): Sample => {
      cumulative += state.counts[i]!;
      return { suffix: '_bucket', labels: [['le', le]], value: cumulative };
    });
    out.push({ suffix: '_sum', labels: [], value: state.sum }, { suffix: '_count', labels: [], value: cumulative });
    return out;
  }
}

/** Reads values that live elsewhere (the database, the job queue) into gauges at scrape time. */
export type Collector = () => Promise<void>;

export class Registry {
  readonly #metrics = new Map<string, Metric<string, unknown>>();
  readonly #sampleNames = new Set<string>();
  readonly #collectors: Collector[] = [];

  register<M extends Metric<string, unknown>>(metric: M): M {
    const names = metric.sampleNames();
    if (this.#metrics.has(metric.name) || names.some((n) => this.#sampleNames.has(n)))
      throw new TypeError(`A metric named ${metric.name} (or writing the same samples) is already registered.`);
    this.#metrics.set(metric.name, metric);
    for (const n of names) this.#sampleNames.add(n);
    return metric;
  }

  /**
   * Adds a collector, run by `collect()` before each render. A collector should read first and then set its
   * gauges in one synchronous step, so a render running alongside never sees them half-updated.
   */
  addCollector(collector: Collector): void {
    this.#collectors.push(collector);
  }

  /** Runs every collector; rejects with the first failure. */
  async collect(): Promise<void> {
    await Promise.all(this.#collectors.map((collect) => collect()));
  }

  /** The exposition text of every metric, ordered by name. */
  render(): string {
    const metrics = [...this.#metrics.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
    return metrics.flatMap((m) => m.lines()).join('\n') + '\n';
  }
}

function sampleLine(name: string, labels: readonly (readonly [string, string])[], value: number): string {
  const pairs = labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',');
  return `${name}${pairs ? `{${pairs}}` : ''} ${formatValue(value)}`;
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and newline only (format 0.0.4). */
function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function compareValues(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return 0;
}
