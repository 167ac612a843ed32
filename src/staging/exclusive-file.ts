import { randomUUID } from 'node:crypto';
import { link, open, unlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * Creates `file` holding exactly `data`, unless it already exists; returns whether this call created it.
 * The bytes go to a private temporary name first (O_EXCL, which also refuses a planted symlink), are
 * flushed to disk, and are then hard-linked into place, and `link` fails if the name is taken. So a
 * concurrent reader sees the complete file or no file, never a half-written key, and of two processes
 * racing on first start exactly one wins while the other reads the winner's file.
 */
export async function writeFileExclusive(file: string, data: Uint8Array, mode: number): Promise<boolean> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomUUID()}.tmp`);
  const handle = await open(temporary, 'wx', mode);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await link(temporary, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}
