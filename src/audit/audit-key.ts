import { hkdfSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AirlockError } from '../errors.js';
import { loadMasterKey, type MasterKeySource } from '../staging/master-key.js';

/** At least this many bytes of key for the HMAC of audit records. */
const MIN_KEY_BYTES = 32;

export interface AuditKeySource extends MasterKeySource {
  /** `AIRLOCK_AUDIT_KEY`: base64 of at least 32 bytes. */
  auditKey?: string | undefined;
  /** `AIRLOCK_AUDIT_KEY_FILE`: a file holding such a value. */
  auditKeyFile?: string | undefined;
}

/**
 * The key that signs audit records. It never lives in the database: it is `AIRLOCK_AUDIT_KEY`, the file
 * `AIRLOCK_AUDIT_KEY_FILE`, or else derived from the master key (which every worker of a deployment
 * already shares). A separate audit key lets auditors verify the log without holding the master key.
 */
export async function loadAuditKey(source: AuditKeySource): Promise<Buffer> {
  if (source.auditKey !== undefined) return decode(source.auditKey, 'AIRLOCK_AUDIT_KEY');
  if (source.auditKeyFile !== undefined) {
    const text = await readFile(source.auditKeyFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new AirlockError('invalid_input', `AIRLOCK_AUDIT_KEY_FILE ${source.auditKeyFile} cannot be read (${error.code ?? 'error'}).`);
    });
    return decode(text, `AIRLOCK_AUDIT_KEY_FILE ${source.auditKeyFile}`);
  }
  const master = await loadMasterKey(source);
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'airlock audit log hmac', 32));
}

function decode(value: string, where: string): Buffer {
  const text = value.trim();
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
  if (key.length < MIN_KEY_BYTES) {
    throw new AirlockError(
      'invalid_input',
      `${where} must be the base64 of at least ${MIN_KEY_BYTES} random bytes (make one with \`openssl rand -base64 32\`).`,
    );
  }
  return key;
}

let keySource: (() => Promise<Buffer>) | undefined;
let cached: Promise<Buffer> | undefined;

/** Says where this process's audit key comes from; loaded on first use, then kept. */
export function setAuditKeySource(source: () => Promise<Buffer>): void {
  keySource = source;
  cached = undefined;
}

/** The audit key of this process. Throws if no source was set: an unsigned record must never be written. */
export function auditKey(): Promise<Buffer> {
  if (!keySource) throw new AirlockError('internal_error', 'No audit key is configured in this process.');
  cached ??= keySource().catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}

/** Makes the key `config` names (or derives from its master key) this process's audit key, loaded on first use. */
export function useConfiguredAuditKey(config: {
  auditKey: string | undefined;
  auditKeyFile: string | undefined;
  masterKey: string | undefined;
  masterKeyFile: string | undefined;
  dataDir: string;
}): void {
  setAuditKeySource(() =>
    loadAuditKey({
      auditKey: config.auditKey,
      auditKeyFile: config.auditKeyFile,
      envValue: config.masterKey,
      keyFile: config.masterKeyFile,
      dataDir: config.dataDir,
    }),
  );
}
