import { createChecks } from '../../checks/index.js';
import type { InspectionLimits } from '../inspect/inspection-limits.js';
import { loadPolicyFile } from '../policy/policy-loader.js';
import type { ScanSettings } from './scan-file.js';

/** What a scan needs, in a form that can cross to a worker thread (no functions, no class instances). */
export interface ScanSettingsSource {
  policyFile: string;
  limits: InspectionLimits;
  timeoutMs: number;
  trace: boolean;
}

/** Every check the product has, configured by the policy (custom detectors, allow-list). */
export const SCAN_CHECKS = ['filetype', 'patterns', 'dlp'] as const;

export async function createScanSettings(source: ScanSettingsSource): Promise<ScanSettings> {
  const policy = await loadPolicyFile(source.policyFile);
  const checks = createChecks(SCAN_CHECKS, { patterns: { custom: policy.detectors ?? [], allow: policy.allow ?? {} } });
  return { checks, policy, limits: source.limits, timeoutMs: source.timeoutMs, trace: source.trace };
}
