import { AirlockError } from '../../errors.js';
import type { PolicyDecision } from '../../policy/evaluate-policy.js';
import { loadPolicyCases, runPolicyCases, type PolicyCaseResult } from '../../policy/policy-cases.js';
import { loadPolicyRef, type LoadedPolicy } from '../../policy/policy-loader.js';
import type { CliContext } from '../cli-context.js';

/**
 * `airlock policy test <policy> <cases.yaml> [--json]`: decides every case of the file with the policy
 * (a file path, or a policy name in the policies folder) and says which ones give the expected verdict
 * and rule. Exit 0 when all pass, 1 when any fails, 2 when the policy or the cases file is invalid (each
 * problem printed as `file:line:col: field: message`).
 */
export async function policyTestCommand(ctx: CliContext, options: { policy: string; cases: string; json: boolean }): Promise<number> {
  let policy: LoadedPolicy;
  try {
    policy = await loadPolicyRef(ctx.config.policiesDir, options.policy);
  } catch (error) {
    if (error instanceof AirlockError && error.code === 'policy_invalid') {
      ctx.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const loaded = await loadPolicyCases(options.cases, policy);
  if (!loaded.ok) {
    const count = loaded.problems.length === 1 ? '1 problem' : `${loaded.problems.length} problems`;
    ctx.stderr.write(`Policy cases ${options.cases} are invalid (${count}):\n${loaded.problems.map((p) => `  ${p.text}\n`).join('')}`);
    return 2;
  }
  const results = runPolicyCases(policy, loaded.cases);
  const failed = results.filter((r) => !r.passed).length;
  if (options.json) {
    for (const r of results) ctx.stdout.write(JSON.stringify(presentResult(r)) + '\n');
    ctx.stdout.write(JSON.stringify({ summary: { policy: policy.name, version: policy.version, total: results.length, failed } }) + '\n');
  } else {
    for (const r of results) ctx.stdout.write(renderResult(r) + '\n');
    ctx.stdout.write(
      `${results.length - failed} of ${results.length} case(s) passed${failed > 0 ? `, ${failed} failed` : ''} (policy ${policy.name} ${policy.version.slice(0, 12)}).\n`,
    );
  }
  return failed === 0 ? 0 : 1;
}

/** `PASS  name  block/pci-bulk  (reasons)`, or `FAIL  name  got …, expected …  (reasons)`. */
function renderResult(r: PolicyCaseResult): string {
  const got = outcome(r.decision);
  const expected = r.case.rule ? `${r.case.expect}/${r.case.rule}` : r.case.expect;
  const reasons = r.decision.reasons.join('; ');
  return r.passed ? `PASS  ${r.case.name}  ${got}  (${reasons})` : `FAIL  ${r.case.name}  got ${got}, expected ${expected}  (${reasons})`;
}

function presentResult(r: PolicyCaseResult) {
  return {
    name: r.case.name,
    passed: r.passed,
    expected: { verdict: r.case.expect, rule: r.case.rule ?? null },
    got: { verdict: r.decision.verdict, rule: r.decision.rule, reasons: r.decision.reasons },
  };
}

function outcome(decision: PolicyDecision): string {
  return `${decision.verdict}/${decision.rule}`;
}
