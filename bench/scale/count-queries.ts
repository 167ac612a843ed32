// Preloaded into an `airlock worker` by `npm run bench:scale -- --profile` (NODE_OPTIONS `--import tsx --import
// <this file>`), never otherwise: counts the statements the process sends through node-postgres (Kysely's pool and
// pg-boss's alike), by statement text, with the time from sending each to its answer. SIGUSR2 takes a mark (the
// benchmark sends one when its tickets are committed and one when the last ticket is done); at exit every mark
// is written as JSON to BENCH_SCALE_QUERY_LOG. The worker's own code is untouched.
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import pg from 'pg';

export interface StatementStat {
  count: number;
  /** Sum of the times from sending the statement to its answer, in ms. */
  ms: number;
}

export interface QueryLog {
  /** Totals at each SIGUSR2, in order. */
  marks: { at: number; statements: Record<string, StatementStat> }[];
}

const file = process.env.BENCH_SCALE_QUERY_LOG;
const stats = new Map<string, StatementStat>();
const marks: QueryLog['marks'] = [];

/** The statement's text with whitespace folded, cut to 200 characters: its shape (values travel as $n). */
function shapeOf(query: unknown): string {
  const text = typeof query === 'string' ? query : (query as { text?: unknown } | null)?.text;
  return typeof text === 'string' ? text.replace(/\s+/g, ' ').trim().slice(0, 200) : '(not a text query)';
}

function record(shape: string, started: number): void {
  const s = stats.get(shape) ?? { count: 0, ms: 0 };
  s.count++;
  s.ms += performance.now() - started;
  stats.set(shape, s);
}

if (file) {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]): unknown {
    const shape = shapeOf(args[0]);
    const started = performance.now();
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === 'function') {
      // The callback form (pg.Pool#query uses it): count when the answer arrives.
      args[last] = function (this: unknown, ...answer: unknown[]): unknown {
        record(shape, started);
        return (callback as (...a: unknown[]) => unknown).apply(this, answer);
      };
      return original.apply(this, args);
    }
    const result = original.apply(this, args);
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<unknown>).then(
        () => record(shape, started),
        () => record(shape, started),
      );
    } else {
      record(shape, started);
    }
    return result;
  };
  process.on('SIGUSR2', () => {
    marks.push({ at: performance.now(), statements: Object.fromEntries([...stats].map(([k, v]) => [k, { ...v }])) });
  });
  process.on('exit', () => {
    writeFileSync(file, JSON.stringify({ marks } satisfies QueryLog));
  });
}
