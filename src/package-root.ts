import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project's root folder, whether this code runs from its TypeScript sources (`src/…`) or from the
 * compiled copy (`dist/src/…`): the nearest folder above holding package.json. Assets that are not
 * compiled (SQL migrations, package.json) are always read from the sources.
 */
export const PACKAGE_ROOT: string = findRoot(path.dirname(fileURLToPath(import.meta.url)));

/** Whether this process runs the compiled JavaScript (`npm run build`, done by `npm ci`) rather than the sources through tsx. */
export const IS_COMPILED: boolean = fileURLToPath(import.meta.url).endsWith('.js');

function findRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && !dir.endsWith(`${path.sep}dist`)) return dir;
    if (path.dirname(dir) === dir) throw new Error(`No package.json above ${start}.`);
  }
}
