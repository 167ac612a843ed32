const METRIC_NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_PAIR = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const VALUE = '[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?|[+-]Inf|NaN';
const SAMPLE = new RegExp(`^(${METRIC_NAME})(\\{(?:${LABEL_PAIR})(?:,${LABEL_PAIR})*\\})? (${VALUE})$`);
const COMMENT = new RegExp(`^# (HELP|TYPE) (${METRIC_NAME})(?: (.*))?$`);
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<string, readonly string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['', '_sum', '_count'] };

/**
 * A strict reader of the Prometheus text format 0.0.4, for tests: every line must be a well-formed HELP, TYPE or
 * sample line, and every sample must belong to a family whose TYPE came before it. Returns the samples keyed by
 * their name and labels exactly as written (`name{a="b"}`).
 */
export function parseExposition(text: string): Map<string, number> {
  if (!text.endsWith('\n')) throw new Error('The exposition must end with a newline.');
  const types = new Map<string, string>();
  const samples = new Map<string, number>();
  for (const [i, line] of text.slice(0, -1).split('\n').entries()) {
    const comment = COMMENT.exec(line);
    if (comment) {
      const [, kind, name, rest] = comment;
      if (kind === 'TYPE') {
        if (!TYPES.has(rest ?? '') || types.has(name!)) throw new Error(`Line ${i + 1}: bad or repeated TYPE: ${line}`);
        types.set(name!, rest!);
      }
      continue;
    }
    const sample = SAMPLE.exec(line);
    if (!sample) throw new Error(`Line ${i + 1} is not a well-formed sample: ${JSON.stringify(line)}`);
    const [, name, labels = '', value] = sample;
    if (!hasFamily(name!, types)) throw new Error(`Line ${i + 1}: ${name} has no TYPE before it.`);
    const key = name! + labels;
    if (samples.has(key)) throw new Error(`Line ${i + 1}: ${key} appears twice.`);
    samples.set(key, value === '+Inf' ? Infinity : value === '-Inf' ? -Infinity : Number(value));
  }
  return samples;
}

/** Whether a sample name is a declared family, or one of the suffixed series of a histogram or summary. */
function hasFamily(name: string, types: Map<string, string>): boolean {
  for (const [family, type] of types) if ((SUFFIXES[type] ?? ['']).some((suffix) => family + suffix === name)) return true;
  return false;
}
