import { loadPipelines } from '../../pipelines/pipeline-loader.js';
import { loadPolicy } from '../../policy/policy-loader.js';
import { resolveChecks } from '../../../checks/index.js';
import { createConnector } from '../../../connectors/index.js';
import { coerceError } from '../../errors.js';
import type { CliContext } from '../cli-context.js';

/**
 * `airlock validate`: loads every pipeline and the policies they name, and checks that their checks
 * and connector kinds exist. Every problem is printed (file:line:col: field: message); exit 1 if any.
 */
export async function validateCommand(ctx: CliContext): Promise<number> {
  const { pipelines, errors } = await loadPipelines(ctx.config.pipelinesDir);
  const problems = errors.map((e) => e.text);
  const policies = new Set<string>();
  for (const pipeline of pipelines.values()) {
    policies.add(pipeline.policy);
    try {
      resolveChecks(pipeline.checks);
    } catch (error) {
      problems.push(`${pipeline.file}: checks: ${coerceError(error).message}`);
    }
    // Builds each connector from its settings (nothing connects, no secret is read) to catch bad settings now.
    const context = { baseDir: pipeline.dir, resolveSecret: () => Promise.reject(new Error('not resolved while validating')) };
    const sides = [
      ['source', pipeline.source],
      ['destination', pipeline.destination],
      ...(pipeline.quarantine ? [['quarantine.releaseTo', pipeline.quarantine.releaseTo] as const] : []),
    ] as const;
    for (const [side, settings] of sides) {
      try {
        await createConnector(settings, context).close?.();
      } catch (error) {
        problems.push(`${pipeline.file}: ${side}: ${coerceError(error).message}`);
      }
    }
  }
  for (const name of [...policies].sort()) {
    try {
      await loadPolicy(ctx.config.policiesDir, name);
    } catch (error) {
      problems.push(coerceError(error).message);
    }
  }
  for (const [name, p] of pipelines)
    ctx.stdout.write(`ok  pipeline ${name} (${p.source.kind} -> ${p.destination.kind}, policy ${p.policy}, ${p.delivery})\n`);
  for (const problem of problems) ctx.stdout.write(`ERR ${problem}\n`);
  ctx.stdout.write(
    problems.length === 0
      ? `${pipelines.size} pipeline(s) and ${policies.size} policy file(s) are valid.\n`
      : `${problems.length} problem(s) found.\n`,
  );
  return problems.length === 0 ? 0 : 1;
}
