import type { DetectedType, Finding } from '../../checks/check.js';
import type { Verdict } from '../tickets/states.js';

/** One line of `airlock scan --json`: the public contract users script against. Field order matters to nobody, names do. */
export interface ScanLine {
  path: string;
  size: number;
  sha256: string;
  type: DetectedType;
  findings: ScanFinding[];
  verdict: Verdict;
  reasons: string[];
}

export interface ScanFinding {
  check: string;
  detector: string;
  severity: Finding['severity'];
  confidence: number;
  location: Finding['location'];
  excerpt: string;
  /** Only with `--trace`: why the detector fired and which distinct value this is. */
  trace?: Finding['trace'];
  valueKey?: string;
}

/** A finding as the contract prints it; the trace only when asked for (it is for operators). */
export function toScanFinding(f: Finding, withTrace: boolean): ScanFinding {
  const base: ScanFinding = {
    check: f.check,
    detector: f.detector,
    severity: f.severity,
    confidence: Math.round(f.confidence * 100) / 100,
    location: f.location,
    excerpt: f.excerpt ?? '',
  };
  if (!withTrace) return base;
  return { ...base, ...(f.trace ? { trace: f.trace } : {}), ...(f.valueKey ? { valueKey: f.valueKey } : {}) };
}

/** What an unidentified item is reported as, so `type` is always present. */
export const UNKNOWN_TYPE: DetectedType = { mime: 'application/octet-stream', ext: 'bin', declaredExt: '', mismatch: false };
