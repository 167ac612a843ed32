import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { AirlockError } from '../errors.js';
import { writeFileExclusive } from './exclusive-file.js';

/** AES-256: the master key and every key it wraps are 32 bytes. */
export const MASTER_KEY_BYTES = 32;

/** Name of the key file created in the data directory when no key is configured. */
export const DEFAULT_MASTER_KEY_FILE = 'master.key';

export interface MasterKeySource {
  /** The value of `AIRLOCK_MASTER_KEY` when set: base64 of 32 bytes. Wins over the other two. */
  envValue?: string | undefined;
  /** A file holding the key, as 32 raw bytes or their base64; it must not be readable by group or others. */
  keyFile?: string | undefined;
  /** The data directory: `<dataDir>/master.key` is used, and created on first use, when neither is given. */
  dataDir: string;
}

/**
 * The master key that wraps each ticket's staging key, from the environment, a key file, or a file the
 * embedded default creates in the data directory (0600, in a 0700 directory). Misconfiguration fails here,
 * at load, naming the variable or file; no message ever contains key material, and nothing is logged.
 * Losing this key makes everything staged unreadable, which is safe (tickets re-fetch) but not silent.
 */
export async function loadMasterKey(source: MasterKeySource): Promise<Buffer> {
  if (source.envValue !== undefined) return fromEnvValue(source.envValue);
  if (source.keyFile !== undefined) return readKeyFile(source.keyFile, { followSymlinks: true });
  await mkdir(source.dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(source.dataDir, DEFAULT_MASTER_KEY_FILE);
  const created = Buffer.alloc(MASTER_KEY_BYTES);
  randomBytes(MASTER_KEY_BYTES).copy(created);
  // base64 text, so an operator can move the key into AIRLOCK_MASTER_KEY with `cat`.
  if (await writeFileExclusive(file, Buffer.from(`${created.toString('base64')}\n`), 0o600)) return created;
  created.fill(0);
  return readKeyFile(file, { followSymlinks: false });
}

function fromEnvValue(value: string): Buffer {
  const text = value.trim();
  const problem = !BASE64.test(text)
    ? 'is not base64'
    : Buffer.byteLength(text, 'base64') !== MASTER_KEY_BYTES
      ? `decodes to ${Buffer.byteLength(text, 'base64')} bytes`
      : undefined;
  if (problem) {
    throw new AirlockError(
      'invalid_input',
      `AIRLOCK_MASTER_KEY must be the base64 of exactly ${MASTER_KEY_BYTES} random bytes (make one with \`openssl rand -base64 32\`); the value set ${problem}.`,
    );
  }
  return unpooled(Buffer.from(text, 'base64'));
}

async function readKeyFile(file: string, options: { followSymlinks: boolean }): Promise<Buffer> {
  const flags = constants.O_RDONLY | (options.followSymlinks ? 0 : constants.O_NOFOLLOW);
  const handle = await open(file, flags).catch((error: NodeJS.ErrnoException) => {
    const reason = error.code === 'ELOOP' ? 'is a symbolic link, which is refused here' : `cannot be opened (${error.code ?? 'error'})`;
    throw new AirlockError('invalid_input', `Master key file ${file} ${reason}.`, { cause: error });
  });
  try {
    const stats = await handle.stat();
    if (!stats.isFile() || stats.size > 1024) {
      throw new AirlockError('invalid_input', `Master key file ${file} is not a small regular file; it cannot hold a key.`);
    }
    if ((stats.mode & 0o077) !== 0) {
      const mode = (stats.mode & 0o777).toString(8).padStart(4, '0');
      throw new AirlockError(
        'invalid_input',
        `Master key file ${file} is open to group or others (mode ${mode}); restrict it with \`chmod 600 ${file}\` and start again.`,
      );
    }
    const content = await handle.readFile();
    if (content.length === MASTER_KEY_BYTES) return unpooled(content);
    const text = content.toString('latin1').trim();
    content.fill(0);
    if (BASE64.test(text) && Buffer.byteLength(text, 'base64') === MASTER_KEY_BYTES) return unpooled(Buffer.from(text, 'base64'));
    throw new AirlockError(
      'invalid_input',
      `Master key file ${file} does not hold a key: it must contain ${MASTER_KEY_BYTES} raw bytes or their base64.`,
    );
  } finally {
    await handle.close();
  }
}

/** Standard base64 with padding; Buffer.from alone would silently skip anything else. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A copy outside Node's shared buffer pool, so the key does not sit in a slab other code can see. */
function unpooled(bytes: Buffer): Buffer {
  const key = Buffer.alloc(bytes.length);
  bytes.copy(key);
  bytes.fill(0);
  return key;
}
