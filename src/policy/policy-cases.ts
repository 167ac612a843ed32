import { z } from 'zod';
import { readYamlFile, strictConfigObject, validateYaml, type SourceProblem } from '../config/yaml-source.js';
import type { Verdict } from '../tickets/states.js';
import { byteSize } from './byte-size.js';
import { BUILTIN_DETECTOR_IDS } from './detector-catalog.js';
import {
  evaluatePolicy,
  FAIL_CLOSED_RULE,
  NO_MATCH_RULE,
  type PolicyDecision,
  type PolicyFinding,
  type PolicyInput,
} from './evaluate-policy.js';
import { SEVERITIES } from './policy-condition.js';
import type { LoadedPolicy } from './policy-loader.js';

/**
 * Test cases for a policy (`policies/<name>.cases.yaml`): made-up inputs and the verdict (and rule) the
 * policy must give them, so a policy edit that changes a decision is caught before it is deployed.
 *
 *   cases:
 *     - name: ten distinct card numbers block
 *       findings: [{ detector: credit_card, severity: high, count: 12, distinct: 10 }]
 *       item: { path: export.csv, size: 2MB, mime: text/csv }
 *       expect: block
 *       rule: pci-bulk
 *
 * A `findings` entry stands for `count` findings (default: `distinct`, else 1) holding `distinct`
 * different values (default: `count`); `severity` defaults to medium, `confidence` to 1.
 */

export interface PolicyCase {
  name: string;
  input: PolicyInput;
  expect: Verdict;
  /** The rule that must decide; any rule when absent. */
  rule?: string | undefined;
}

export interface PolicyCaseResult {
  case: PolicyCase;
  decision: PolicyDecision;
  passed: boolean;
}

export type LoadedCases = { ok: true; cases: PolicyCase[] } | { ok: false; problems: SourceProblem[] };

const MAX_EXPANDED = 100_000;

/** Reads and validates a cases file against `policy` (detector ids and rule ids must exist in it). Never throws on bad input. */
export async function loadPolicyCases(file: string, policy: Pick<LoadedPolicy, 'rules' | 'detectors'>): Promise<LoadedCases> {
  const read = await readYamlFile(file);
  if ('problem' in read) return { ok: false, problems: [read.problem] };
  const detectors = new Set([...BUILTIN_DETECTOR_IDS, ...(policy.detectors ?? []).map((d) => d.id)]);
  const rules = new Set([...policy.rules.map((r) => r.id), FAIL_CLOSED_RULE, NO_MATCH_RULE]);
  const validated = validateYaml(file, read.text, casesFileSchema(detectors, rules));
  return validated.ok ? { ok: true, cases: validated.data.cases } : { ok: false, problems: validated.problems };
}

/** Decides every case with `policy`; pure. */
export function runPolicyCases(policy: LoadedPolicy, cases: readonly PolicyCase[]): PolicyCaseResult[] {
  return cases.map((c) => {
    const decision = evaluatePolicy(policy, c.input);
    const passed = decision.verdict === c.expect && (c.rule === undefined || decision.rule === c.rule);
    return { case: c, decision, passed };
  });
}

function casesFileSchema(detectors: ReadonlySet<string>, rules: ReadonlySet<string>) {
  const finding = strictConfigObject({
    detector: z.string().refine((id) => detectors.has(id), { error: 'is neither a built-in detector nor declared by the policy' }),
    severity: z.enum(SEVERITIES).optional(),
    confidence: z.number().min(0).max(1).optional(),
    count: z.int().min(1).max(MAX_EXPANDED).optional(),
    distinct: z.int().min(1).max(MAX_EXPANDED).optional(),
    /** Archive member the findings are in (`location.entry`), for allow-list paths. */
    entry: z.string().min(1).optional(),
  }).superRefine((f, ctx) => {
    if (f.count !== undefined && f.distinct !== undefined && f.distinct > f.count) {
      ctx.addIssue({ code: 'custom', path: ['distinct'], message: `is more than count (${f.count}); n findings hold at most n values` });
    }
  });
  const testCase = strictConfigObject({
    name: z.string().min(1),
    findings: z.array(finding).optional(),
    failedChecks: z.array(z.string().min(1)).optional(),
    item: strictConfigObject({
      path: z.string().min(1),
      size: byteSize.optional(),
      mime: z.string().min(1).optional(),
      ext: z.string().min(1).optional(),
    }).optional(),
    pipeline: z.string().min(1).optional(),
    destination: z.string().min(1).optional(),
    expect: z.enum(['allow', 'review', 'block']),
    rule: z
      .string()
      .refine((id) => rules.has(id), { error: 'is not a rule of the policy' })
      .optional(),
  }).transform((c, ctx): PolicyCase => ({
    name: c.name,
    input: {
      findings: expandFindings(c.findings ?? [], ctx),
      failedChecks: c.failedChecks ?? [],
      ...(c.item ? { item: c.item } : {}),
      ...(c.pipeline ? { pipeline: c.pipeline } : {}),
      ...(c.destination ? { destination: c.destination } : {}),
    },
    expect: c.expect,
    ...(c.rule ? { rule: c.rule } : {}),
  }));
  return strictConfigObject({
    description: z.string().optional(),
    cases: z
      .array(testCase)
      .min(1, { error: 'must list at least one case' })
      .superRefine(
        (list: readonly unknown[], ctx) => {
          const seen = new Set<string>();
          list.forEach((c, i) => {
            const name = (c as { name?: unknown } | null)?.name;
            if (typeof name !== 'string') return;
            if (seen.has(name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${name}" names another case too` });
            seen.add(name);
          });
        },
        // Run even when single cases are broken, so one pass lists every problem in the file.
        { when: (payload) => Array.isArray(payload.value) },
      ),
  });
}

type FindingSpec = { detector: string; severity?: PolicyFinding['severity'] | undefined; confidence?: number | undefined } & {
  count?: number | undefined;
  distinct?: number | undefined;
  entry?: string | undefined;
};

/** `count` findings per entry, cycling through `distinct` value keys that no other entry shares. */
function expandFindings(specs: readonly FindingSpec[], ctx: z.RefinementCtx): PolicyFinding[] {
  const findings: PolicyFinding[] = [];
  specs.forEach((spec, i) => {
    const count = spec.count ?? spec.distinct ?? 1;
    const distinct = spec.distinct ?? count;
    if (findings.length + count > MAX_EXPANDED) {
      ctx.addIssue({ code: 'custom', path: ['findings', i, 'count'], message: `makes the case hold more than ${MAX_EXPANDED} findings` });
      return;
    }
    for (let k = 0; k < count; k++) {
      findings.push({
        detector: spec.detector,
        severity: spec.severity ?? 'medium',
        confidence: spec.confidence ?? 1,
        valueKey: `${spec.detector}#${i + 1}.${(k % distinct) + 1}`,
        ...(spec.entry ? { location: { entry: spec.entry } } : {}),
      });
    }
  });
  return findings;
}
