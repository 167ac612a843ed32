import { AirlockError } from '../src/errors.js';
import type { Check } from './check.js';
import { dlpCheck } from './dlp/index.js';
import { filetypeCheck } from './filetype/index.js';
import { PatternsCheck, patternsCheck, type PatternsCheckConfig } from './patterns/index.js';

/**
 * Every check Airlock can run, keyed by the id pipelines name it with. Explicit on purpose: what may read
 * transferred content is readable in this one file.
 */
export const checks = {
  filetype: filetypeCheck,
  patterns: patternsCheck,
  dlp: dlpCheck,
} satisfies Record<string, Check>;

export type CheckId = keyof typeof checks;

/** Whether `id` names a registered check (and not, say, `toString`). */
export function isCheckId(id: string): id is CheckId {
  return Object.hasOwn(checks, id);
}

/**
 * The checks a pipeline names, in the order given, each once. Throws `invalid_input` naming every
 * unknown id and the known ones, so a pipeline with a typo fails at load rather than inspecting less.
 */
export function resolveChecks(ids: readonly string[]): Check[] {
  const unknown = ids.filter((id) => !isCheckId(id));
  if (unknown.length > 0) {
    const names = unknown.map((id) => `"${id}"`).join(', ');
    throw new AirlockError(
      'invalid_input',
      `Unknown check${unknown.length > 1 ? 's' : ''} ${names}; known checks are: ${Object.keys(checks).join(', ')}.`,
    );
  }
  return [...new Set(ids as readonly CheckId[])].map((id) => checks[id]);
}

/** Per-policy settings for the checks that take any. */
export interface ChecksConfig {
  /** Custom detectors and the allow-list a policy declares. */
  patterns?: PatternsCheckConfig;
}

/**
 * The checks a pipeline names, configured for its policy: the patterns check gets the policy's custom
 * detectors and allow-list (compiled here, so a bad one fails before any item is touched).
 */
export function createChecks(ids: readonly string[], config: ChecksConfig = {}): Check[] {
  const patterns = config.patterns;
  const configured =
    patterns &&
    ((patterns.custom?.length ?? 0) > 0 || (patterns.allow?.values?.length ?? 0) > 0 || (patterns.allow?.sha256?.length ?? 0) > 0);
  return resolveChecks(ids).map((check) => (check.id === 'patterns' && configured ? new PatternsCheck(patterns) : check));
}
