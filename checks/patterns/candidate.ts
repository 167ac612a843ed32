import type { FindingSeverity } from '../check.js';

/**
 * A value a detector accepted, before the scanner turns it into a finding (allow-list, per-detector cap,
 * line number, `valueKey`). Holds the normalized value only until then: it never leaves the scanner.
 */
export interface Candidate {
  detector: string;
  severity: FindingSeverity;
  /** Index of the value's first byte in the window the detector was given. */
  start: number;
  /** The value in the form that tells distinct values apart (`4111111111111111`, `DE89…`). */
  normalized: string;
  /** Masked: never the whole value. */
  excerpt: string;
  /** Which shape matched (`visa-grouped`, `iban`, `pem-rsa`). */
  pattern: string;
  /** The checksum or structure check that accepted it (`luhn`, `iban-mod97`), when there is one. */
  validator?: string;
  /** 0..1, after context words. */
  confidence: number;
  /** Context words that moved the confidence (`+card`, `-test`). */
  context: string[];
}

/** Clamps a confidence into 0.01..0.99 with two decimals: no detector is ever certain, or certain of nothing. */
export function clampConfidence(value: number): number {
  return Math.round(Math.min(0.99, Math.max(0.01, value)) * 100) / 100;
}
