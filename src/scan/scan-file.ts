import type { Check } from '../../checks/check.js';
import { inspectItem } from '../inspect/inspect-item.js';
import type { InspectionLimits } from '../inspect/inspection-limits.js';
import { evaluatePolicy } from '../policy/evaluate-policy.js';
import type { LoadedPolicy } from '../policy/policy-loader.js';
import { toScanFinding, UNKNOWN_TYPE, type ScanLine } from './scan-line.js';
import type { ScanTarget } from './scan-targets.js';

export interface ScanSettings {
  checks: readonly Check[];
  policy: LoadedPolicy;
  limits: InspectionLimits;
  timeoutMs: number;
  /** Include each finding's decision trace and value key (operators' view). */
  trace: boolean;
}

/** Inspects one file and decides it, exactly as the ticket engine does, and shapes the scan line. */
export async function scanFile(target: ScanTarget, settings: ScanSettings): Promise<ScanLine> {
  const inspected = await inspectItem(
    { path: target.path, file: target.file },
    { checks: settings.checks, limits: settings.limits, timeoutMs: settings.timeoutMs },
  );
  const findings = inspected.runs.flatMap((r) => r.findings);
  const type = inspected.type ?? UNKNOWN_TYPE;
  const decision = evaluatePolicy(settings.policy, {
    findings,
    failedChecks: inspected.failedChecks,
    item: { path: target.path, size: inspected.size, mime: type.mime, ext: type.ext },
  });
  const failures = inspected.runs.filter((r) => r.status !== 'ok').map((r) => `${r.check}: ${r.error ?? r.status}`);
  const skipped = inspected.skipped.map((s) => `not inspected: ${s.entry} (${s.reason})`);
  return {
    path: target.path,
    size: inspected.size,
    sha256: inspected.sha256,
    type,
    findings: findings.map((f) => toScanFinding(f, settings.trace)),
    verdict: decision.verdict,
    reasons: [...decision.reasons, ...failures, ...skipped],
  };
}
