import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './env.js';

const CWD = '/srv/airlock';
const load = (env: NodeJS.ProcessEnv) => loadConfig(env, CWD);

describe('AIRLOCK_AUDIT_CHECKPOINT_FILE and AIRLOCK_SIEM_*', () => {
  it('keeps checkpoints in the data directory and pushes nowhere by default', () => {
    const config = load({});
    expect(config.auditCheckpointFile).toBe(path.join(CWD, '.airlock', 'audit-checkpoints.jsonl'));
    expect(load({ AIRLOCK_DATA_DIR: '/var/lib/airlock' }).auditCheckpointFile).toBe('/var/lib/airlock/audit-checkpoints.jsonl');
    expect(load({ AIRLOCK_AUDIT_CHECKPOINT_FILE: 'audit/cp.jsonl' }).auditCheckpointFile).toBe(path.join(CWD, 'audit', 'cp.jsonl'));
    expect(config.siem).toBeUndefined();
  });

  it('reads a Splunk HEC sink (the default format) with its token', () => {
    const siem = load({ AIRLOCK_SIEM_URL: 'https://splunk.example.com:8088/services/collector/event', AIRLOCK_SIEM_TOKEN: 'hec' }).siem;
    expect(siem).toEqual({ url: 'https://splunk.example.com:8088/services/collector/event', format: 'splunk-hec', token: 'hec' });
    expect(Object.isFrozen(siem)).toBe(true);
  });

  it('reads a webhook sink, with or without a token', () => {
    expect(load({ AIRLOCK_SIEM_URL: 'http://siem.local/in', AIRLOCK_SIEM_FORMAT: 'webhook' }).siem).toEqual({
      url: 'http://siem.local/in',
      format: 'webhook',
      token: undefined,
    });
  });

  it('refuses a bad URL, an unknown format, credentials in the URL, and Splunk without a token, naming the variable', () => {
    expect(() => load({ AIRLOCK_SIEM_URL: 'ftp://siem.local', AIRLOCK_SIEM_FORMAT: 'webhook' })).toThrow(
      /AIRLOCK_SIEM_URL: must be the http\(s\) address of the SIEM collector/,
    );
    expect(() => load({ AIRLOCK_SIEM_URL: 'https://siem.local', AIRLOCK_SIEM_FORMAT: 'syslog' })).toThrow(/AIRLOCK_SIEM_FORMAT/);
    expect(() => load({ AIRLOCK_SIEM_URL: 'https://user:secret@siem.local', AIRLOCK_SIEM_FORMAT: 'webhook' })).toThrow(
      /AIRLOCK_SIEM_URL: must not hold credentials/,
    );
    expect(() => load({ AIRLOCK_SIEM_URL: 'https://siem.local' })).toThrow(
      /AIRLOCK_SIEM_TOKEN: must be set when AIRLOCK_SIEM_FORMAT is splunk-hec/,
    );
  });
});
