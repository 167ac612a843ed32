import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { AirlockError } from '../errors.js';

/** One file to scan: where it is, and the path it is reported under. */
export interface ScanTarget {
  file: string;
  /** As given for a file argument; relative to the folder argument (with `/`) for files found in a folder. */
  path: string;
}

/**
 * Expands `airlock scan` arguments into files, in a stable order: a file stands for itself, a folder for
 * every regular file below it (sorted, symlinks not followed). A missing argument is a usage error.
 */
export async function* scanTargets(args: readonly string[]): AsyncGenerator<ScanTarget> {
  for (const arg of args) {
    const stats = await lstat(arg).catch((error: NodeJS.ErrnoException) => {
      throw new AirlockError(
        'invalid_input',
        `Cannot scan ${arg}: ${error.code === 'ENOENT' ? 'no such file or folder' : (error.code ?? error.message)}.`,
      );
    });
    if (stats.isFile()) yield { file: arg, path: arg };
    else if (stats.isDirectory()) yield* walk(arg, '');
    else if (stats.isSymbolicLink())
      throw new AirlockError('invalid_input', `Cannot scan ${arg}: it is a symbolic link, which scan does not follow.`);
    else throw new AirlockError('invalid_input', `Cannot scan ${arg}: not a regular file or folder.`);
  }
}

async function* walk(root: string, relative: string): AsyncGenerator<ScanTarget> {
  const dir = path.join(root, relative);
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const child = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) yield* walk(root, child);
    else if (entry.isFile()) yield { file: path.join(root, child), path: child };
  }
}
