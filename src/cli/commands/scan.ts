import os from 'node:os';
import path from 'node:path';
import { scanAll } from '../../scan/scan-pool.js';
import type { ScanLine } from '../../scan/scan-line.js';
import { scanTargets } from '../../scan/scan-targets.js';
import { VERDICT_RANK, type Verdict } from '../../tickets/states.js';
import { UsageError, type CliContext } from '../cli-context.js';

export interface ScanOptions {
  paths: string[];
  policy?: string | undefined;
  json: boolean;
  failOn?: string | undefined;
  trace: boolean;
  jobs?: string | undefined;
}

/** Exit status when a verdict reaches `--fail-on`. */
const EXIT_VERDICT = 3;

/**
 * `airlock scan <path>...`: inspects files with the same checks and policy as the ticket engine and
 * prints one result per top-level file (JSON Lines with `--json`, nothing else on stdout). Exit 0 when
 * every file was scanned, 1 when one could not be, 3 when `--fail-on` is reached, 2 on usage errors.
 */
export async function scanCommand(ctx: CliContext, options: ScanOptions): Promise<number> {
  if (options.paths.length === 0) throw new UsageError('"airlock scan" needs at least one file or folder.');
  if (options.failOn !== undefined && options.failOn !== 'review' && options.failOn !== 'block') {
    throw new UsageError(`--fail-on must be "review" or "block", got "${options.failOn}".`);
  }
  const jobs = options.jobs === undefined ? Math.min(os.availableParallelism(), 4) : Number(options.jobs);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64)
    throw new UsageError(`--jobs must be a whole number from 1 to 64, got "${options.jobs}".`);
  const policyFile = path.resolve(options.policy ?? path.join(ctx.config.policiesDir, 'default.yaml'));

  let failed = 0;
  let worst: Verdict = 'allow';
  const source = { policyFile, limits: ctx.config.limits, timeoutMs: ctx.config.checkTimeoutMs, trace: options.trace };
  for await (const outcome of scanAll(scanTargets(options.paths), source, jobs)) {
    if ('error' in outcome) {
      failed++;
      ctx.logger.error({ path: outcome.target.path }, 'file not scanned');
      ctx.stderr.write(`airlock scan: ${outcome.target.path}: ${outcome.error}\n`);
      continue;
    }
    if (VERDICT_RANK[outcome.line.verdict] > VERDICT_RANK[worst]) worst = outcome.line.verdict;
    ctx.stdout.write(options.json ? `${JSON.stringify(outcome.line)}\n` : renderLine(outcome.line));
  }
  if (failed > 0) return 1;
  if (options.failOn && VERDICT_RANK[worst] >= VERDICT_RANK[options.failOn as Verdict]) return EXIT_VERDICT;
  return 0;
}

function renderLine(line: ScanLine): string {
  const head = `${line.verdict.toUpperCase().padEnd(6)} ${line.path}  (${line.type.mime}, ${line.size} bytes)`;
  const findings = line.findings.map(
    (f) =>
      `    ${f.check}/${f.detector} ${f.severity} ${f.confidence}${f.location.entry ? ` in ${f.location.entry}` : ''}${f.location.line ? ` line ${f.location.line}` : ''}: ${f.excerpt}`,
  );
  const reasons = line.verdict === 'allow' ? [] : line.reasons.map((r) => `    - ${r}`);
  return [head, ...reasons, ...findings].join('\n') + '\n';
}
