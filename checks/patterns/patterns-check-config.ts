import { createHash } from 'node:crypto';
import RE2 from 're2';
import { AirlockError } from '../../src/errors.js';
import type { FindingSeverity } from '../check.js';

/**
 * Static setup of the patterns check: detectors a policy declares itself, and values it allows. The
 * shapes mirror the policy schema (`src/policy/custom-detector-schema.ts`, `allow:` in
 * `src/policy/policy-schema.ts`), which validates the YAML; this module validates again, because the
 * check may be built from anything, and compiles.
 */

/** A detector a policy declares (`detectors:`). Its findings carry `detector: id`. */
export interface CustomDetectorSpec {
  /** `[a-z][a-z0-9_]*`, unique, not a built-in id. */
  id: string;
  /** RE2 syntax: no look-around, no back-references; `^` and `$` match at line starts and ends. */
  pattern: string;
  /** Match letters regardless of case; default false. */
  caseInsensitive?: boolean;
  /** A checksum a match must pass: `luhn` over its digits, `iban` (country length and mod 97); default `none`. */
  validator?: 'luhn' | 'iban' | 'none';
  /** Words near a match (either side, `window` bytes, default 48) that raise its confidence, or, with `required`, that it needs. */
  context?: { words: string[]; window?: number; required?: boolean };
  severity: FindingSeverity;
  /** 0..1; default 0.7. */
  confidence?: number;
  /** Longest match in bytes, 1..4096, default 256: longer matches are not reported; bounds the carry between chunks. */
  maxLength?: number;
}

/** Values that must not be reported (test card numbers, a published sample). */
export interface AllowList {
  /** Listed as written; compared with a match's normalized value (digits only for a card, and so on). */
  values?: string[];
  /** Hex SHA-256 of a normalized value, to allow a value without writing it in the policy. */
  sha256?: string[];
}

export interface PatternsCheckConfig {
  custom?: CustomDetectorSpec[];
  allow?: AllowList;
}

/** A custom detector ready to scan with; RE2 keeps matching linear in the input whatever the pattern. */
export interface CompiledCustomDetector {
  readonly id: string;
  readonly severity: FindingSeverity;
  readonly confidence: number;
  readonly maxLength: number;
  readonly validator: 'luhn' | 'iban' | 'none';
  readonly caseInsensitive: boolean;
  readonly context: { readonly words: readonly string[]; readonly window: number; readonly required: boolean } | undefined;
  /** Global and multi-line; its `lastIndex` is set before every use, so scanners can share it. */
  readonly regex: RE2;
}

/** Ids of the detectors the patterns check has built in; a custom detector cannot take one. */
export const PATTERN_DETECTOR_IDS = [
  'credit_card',
  'iban',
  'us_ssn',
  'email_address',
  'aws_access_key',
  'private_key',
  'jwt',
  'github_token',
  'slack_token',
] as const;

export const DEFAULT_CUSTOM_CONFIDENCE = 0.7;
export const DEFAULT_CUSTOM_MAX_LENGTH = 256;
export const MAX_CUSTOM_LENGTH = 4096;
export const DEFAULT_CONTEXT_WINDOW = 48;
const MAX_PATTERN_LENGTH = 8192;
const SEVERITIES: readonly FindingSeverity[] = ['low', 'medium', 'high', 'critical'];
const VALIDATORS = ['luhn', 'iban', 'none'] as const;

/** Strings a pattern is tried on at load: one that matches an empty string anywhere in them is refused. */
const EMPTY_MATCH_PROBES = ['', ' ', 'a', '0', 'a a', '\n', 'A-1_b.c'];

/**
 * Validates and compiles custom detectors. Throws `policy_invalid`, naming the detector and the reason,
 * for a malformed spec, a pattern RE2 cannot compile (which includes back-references and look-around:
 * RE2 has neither), or a pattern that can match the empty string.
 */
export function compileCustomDetectors(specs: readonly CustomDetectorSpec[]): CompiledCustomDetector[] {
  const seen = new Set<string>();
  return specs.map((spec, index) => {
    const fail = (why: string): never => {
      const name = typeof spec?.id === 'string' && spec.id !== '' ? `"${spec.id}"` : `#${index + 1}`;
      throw new AirlockError('policy_invalid', `Custom detector ${name} ${why}; fix it in the policy's detectors list.`);
    };
    if (typeof spec !== 'object' || spec === null) return fail('is not an object');
    if (typeof spec.id !== 'string' || !/^[a-z][a-z0-9_]*$/.test(spec.id))
      fail('needs an id of lower-case letters, digits and underscores, starting with a letter');
    if ((PATTERN_DETECTOR_IDS as readonly string[]).includes(spec.id)) fail('uses the id of a built-in detector');
    if (seen.has(spec.id)) fail('is declared twice');
    seen.add(spec.id);
    if (typeof spec.pattern !== 'string' || spec.pattern === '') fail('has no pattern');
    if (spec.pattern.length > MAX_PATTERN_LENGTH) fail(`has a pattern longer than ${MAX_PATTERN_LENGTH} characters`);
    if (!SEVERITIES.includes(spec.severity)) fail(`has severity ${JSON.stringify(spec.severity)}; use one of ${SEVERITIES.join(', ')}`);
    const validator = spec.validator ?? 'none';
    if (!VALIDATORS.includes(validator)) fail(`has validator ${JSON.stringify(validator)}; use one of ${VALIDATORS.join(', ')}`);
    const confidence = spec.confidence ?? DEFAULT_CUSTOM_CONFIDENCE;
    if (typeof confidence !== 'number' || !(confidence >= 0 && confidence <= 1)) fail('has a confidence outside 0..1');
    const maxLength = spec.maxLength ?? DEFAULT_CUSTOM_MAX_LENGTH;
    if (!Number.isInteger(maxLength) || maxLength < 1 || maxLength > MAX_CUSTOM_LENGTH)
      fail(`has a maxLength outside 1..${MAX_CUSTOM_LENGTH}`);
    const context = spec.context === undefined ? undefined : compileContext(spec.context, fail);
    const regex = compilePattern(spec.pattern, spec.caseInsensitive === true, fail);
    return {
      id: spec.id,
      severity: spec.severity,
      confidence,
      maxLength,
      validator,
      caseInsensitive: spec.caseInsensitive === true,
      context,
      regex,
    };
  });
}

function compileContext(
  context: NonNullable<CustomDetectorSpec['context']>,
  fail: (why: string) => never,
): CompiledCustomDetector['context'] {
  const { words, window = DEFAULT_CONTEXT_WINDOW, required = false } = context;
  if (!Array.isArray(words) || words.length === 0 || words.some((word) => typeof word !== 'string' || word.trim() === '')) {
    fail('has context words that are not a list of non-empty words');
  }
  if (!Number.isInteger(window) || window < 1 || window > MAX_CUSTOM_LENGTH) fail(`has a context window outside 1..${MAX_CUSTOM_LENGTH}`);
  return { words: words.map((word) => word.trim().toLowerCase()), window, required: required === true };
}

function compilePattern(pattern: string, caseInsensitive: boolean, fail: (why: string) => never): RE2 {
  let regex: RE2;
  try {
    regex = new RE2(pattern, caseInsensitive ? 'gmi' : 'gm');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return fail(`has a pattern RE2 cannot compile (${reason}); RE2 has no back-references or look-around`);
  }
  for (const probe of EMPTY_MATCH_PROBES) {
    regex.lastIndex = 0;
    for (let match = regex.exec(probe); match !== null; match = regex.exec(probe)) {
      if (match[0] === '') fail('has a pattern that can match an empty string; every match must hold at least one character');
    }
  }
  return regex;
}

/** Decides whether a match is allowed, by its normalized value or that value's SHA-256. */
export interface AllowMatcher {
  isAllowed(normalizedValue: string): boolean;
}

/**
 * Compiles an allow-list. A listed value is stored in the forms the detectors normalize to (as written,
 * digits only when it is a number written with spaces or dashes, upper-case without spaces, lower-case),
 * so `4111 1111 1111 1111` allows the card however it is written, and `DE89 3704 …` the IBAN.
 */
export function compileAllowList(allow: AllowList | undefined): AllowMatcher {
  const values = new Set<string>();
  for (const value of allow?.values ?? []) {
    if (typeof value !== 'string' || value.trim() === '') continue;
    const trimmed = value.trim();
    values.add(trimmed).add(trimmed.toLowerCase()).add(trimmed.replace(/\s+/g, '').toUpperCase());
    if (/^[0-9][0-9 -]*[0-9]$/.test(trimmed)) values.add(trimmed.replace(/[ -]/g, ''));
  }
  const digests = new Set((allow?.sha256 ?? []).map((digest) => digest.toLowerCase()));
  if (values.size === 0 && digests.size === 0) return { isAllowed: () => false };
  return {
    isAllowed(normalizedValue) {
      if (values.has(normalizedValue)) return true;
      return digests.size > 0 && digests.has(createHash('sha256').update(normalizedValue).digest('hex'));
    },
  };
}
