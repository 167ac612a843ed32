import { open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { AirlockError } from '../errors.js';

/**
 * PGlite is an in-process PostgreSQL: two processes opening the same data directory would corrupt it.
 * A pid file taken with O_EXCL makes the second one stop with a clear message; a file left by a dead
 * process is taken over.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = path.join(dataDir, 'airlock.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (holder && holder !== process.pid && isAlive(holder)) {
        throw new AirlockError(
          'store_unavailable',
          `The embedded database in ${dataDir} is in use by process ${holder}; stop it, or set DATABASE_URL to share a PostgreSQL server between processes.`,
        );
      }
      await rm(file, { force: true });
    }
  }
  throw new AirlockError('store_unavailable', `Could not lock the embedded database in ${dataDir}.`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
