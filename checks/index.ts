import { AirlockError } from '../src/errors.js';
import type { Check } from './check.js';
import { filetypeCheck } from './filetype/index.js';

/**
 * Every check Airlock can run, keyed by the id pipelines name it with. Explicit on purpose: what may read
 * transferred content is readable in this one file.
 */
export const checks = {
  filetype: filetypeCheck,
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
