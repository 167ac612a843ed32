import type { Check, CheckResult, DetectedType, InspectedItem } from '../../checks/check.js';
import { AirlockError } from '../errors.js';
import type { CheckRunRecord } from '../tickets/item-store.js';

export interface ChecksOutcome {
  runs: CheckRunRecord[];
  type: DetectedType | undefined;
  /** Ids of checks that did not finish; the item can then never be allowed. */
  failedChecks: string[];
}

/**
 * Runs every check on one item, each under its own deadline. A check that throws or overruns is
 * recorded as such and named in `failedChecks`: the policy evaluator turns that into a fail-closed
 * verdict. Error texts are reduced to the error's class or our own message, because a parser's
 * message may quote the content it choked on.
 */
export async function runChecks(checks: readonly Check[], item: InspectedItem, timeoutMs: number): Promise<ChecksOutcome> {
  const runs: CheckRunRecord[] = [];
  const failedChecks: string[] = [];
  let type: DetectedType | undefined;
  for (const check of checks) {
    if (!check.inspect) throw new AirlockError('internal_error', `Check ${check.id} has no whole-item inspection.`);
    const started = performance.now();
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new CheckTimeout());
      }, timeoutMs);
    });
    try {
      const result: CheckResult = await Promise.race([check.inspect.bind(check)(item, { signal: controller.signal }), deadline]);
      type ??= result.type;
      runs.push({
        check: check.id,
        version: check.version,
        status: 'ok',
        durationMs: performance.now() - started,
        findings: result.findings,
      });
    } catch (error) {
      const timedOut = error instanceof CheckTimeout;
      failedChecks.push(check.id);
      runs.push({
        check: check.id,
        version: check.version,
        status: timedOut ? 'timeout' : 'error',
        durationMs: performance.now() - started,
        error: timedOut ? `did not finish within ${timeoutMs} ms` : describeCheckError(error),
        findings: [],
      });
    } finally {
      clearTimeout(timer);
    }
  }
  return { runs, type, failedChecks };
}

class CheckTimeout extends Error {}

function describeCheckError(error: unknown): string {
  if (error instanceof AirlockError) return error.message;
  const name = error instanceof Error ? error.name : typeof error;
  const code = (error as { code?: unknown } | null)?.code;
  return `the check threw ${name}${typeof code === 'string' ? ` (${code})` : ''}`;
}
