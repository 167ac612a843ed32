import { posix } from 'node:path';
import { AirlockError } from '../../src/errors.js';
import type { SftpSession } from './sftp-session.js';
import { splitRelativePath } from '../relative-path.js';

/**
 * Connector-relative paths and the remote folders they map to under one root. Refuses anything that could
 * name a place outside the root (absolute, `..`, NUL, backslash), and folders that resolve outside it
 * through a symbolic link. The checks resolve, then use, so a remote user able to swap folders for links
 * inside the root in between could race them: the root must not be writable by anyone Airlock does not trust.
 */
export class SftpPaths {
  readonly #root: string;
  readonly #location: string;

  constructor(root: string, location: string) {
    this.#root = root;
    this.#location = location;
  }

  /** Splits a relative path into segments; `allowRoot` accepts '' (for a list prefix). */
  segments(path: string, allowRoot: boolean): string[] {
    if (typeof path !== 'string') throw new AirlockError('invalid_input', `An SFTP connector path must be a string, got ${typeof path}.`);
    const split = splitRelativePath(path);
    if ('refused' in split) throw this.escape(path, split.refused);
    const { segments } = split;
    if (segments.length === 0 && !allowRoot) {
      throw new AirlockError('invalid_input', `SFTP path ${JSON.stringify(path)} names the root itself, not a file.`);
    }
    return segments;
  }

  /** The absolute remote path of `segments` under the configured root. */
  remote(segments: readonly string[]): string {
    return posix.join(this.#root, ...segments);
  }

  escape(path: string, reason: string): AirlockError {
    return new AirlockError('path_escape', `Refused path ${JSON.stringify(path)}: it ${reason}; paths must stay inside ${this.#location}.`);
  }

  failure(path: string, what: string): AirlockError {
    return new AirlockError('connector_failed', `SFTP path ${JSON.stringify(path)} under ${this.#location} ${what}.`);
  }

  /** Refuses `path` when its folder resolves, through links, outside the root. */
  async checkParent(session: SftpSession, segments: readonly string[], path: string): Promise<void> {
    if (segments.length < 2) return;
    const real = await session.client.realPath(this.remote(segments.slice(0, -1)));
    if (real !== '' && !isInside(session.realRoot, real))
      throw this.escape(path, 'goes through a symbolic link that leads outside the root');
  }

  /** Creates missing folders one level at a time, following an existing link only if it stays inside. */
  async ensureDir(session: SftpSession, dirSegments: readonly string[], path: string): Promise<void> {
    const { client } = session;
    for (let depth = 1; depth <= dirSegments.length; depth++) {
      const dir = this.remote(dirSegments.slice(0, depth));
      const type = await client.exists(dir);
      if (type === 'd') continue;
      if (type === false) {
        // Another writer may create it between the check and the mkdir; then it exists and that is fine.
        await client.mkdir(dir).catch(async (error: unknown) => {
          if ((await client.exists(dir)) !== 'd') throw error;
        });
        continue;
      }
      if (type === 'l') {
        const real = await client.realPath(dir);
        if (!isInside(session.realRoot, real)) throw this.escape(path, 'goes through a symbolic link that leads outside the root');
        if ((await client.stat(real)).isDirectory) continue;
      }
      throw this.failure(path, 'has a file where a folder should be');
    }
  }
}

/**
 * Renames `from` over `to` atomically (`posix-rename@openssh.com`). Without that extension only a rename
 * onto a free name is atomic, so a plain rename is all that is tried: replacing an existing file then fails.
 */
export async function replaceAtomically(session: SftpSession, from: string, to: string): Promise<void> {
  const { client } = session;
  try {
    await client.posixRename(from, to);
    return;
  } catch (error) {
    if (!/does not support/i.test(String((error as Error | undefined)?.message))) throw error;
  }
  try {
    await client.rename(from, to);
  } catch (error) {
    if ((await client.exists(to)) === false) throw error;
    const message = `SFTP server cannot replace ${to} atomically (it lacks the posix-rename@openssh.com extension); remove the existing file first.`;
    throw new AirlockError('connector_failed', message, { cause: error });
  }
}

function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root === '/' ? '/' : `${root}/`);
}
