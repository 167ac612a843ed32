import { describe, expect, it } from 'vitest';
import type { ConnectorContext } from '../connector.js';
import { createConnector } from '../index.js';

const context: ConnectorContext = { baseDir: '/srv/airlock', resolveSecret: () => Promise.reject(new Error('not resolved at load')) };

describe('sftp connector settings', () => {
  const base = { kind: 'sftp', host: 'files.example', username: 'airlock', root: '/inbox', hostKey: `SHA256:${'A'.repeat(43)}` };
  const problem = (spec: Record<string, unknown>): string => {
    try {
      createConnector({ ...base, ...spec }, context);
    } catch (error) {
      expect(error).toMatchObject({ code: 'invalid_input' });
      return (error as Error).message;
    }
    throw new Error('expected the settings to be refused');
  };

  it('builds an sftp connector from the registry with defaults', () => {
    const connector = createConnector({ ...base, privateKey: 'keys/id_ed25519' }, context);
    expect(connector.describe()).toEqual({ kind: 'sftp', location: 'sftp://airlock@files.example:22/inbox' });
  });

  it('requires exactly one of privateKey and password', () => {
    expect(problem({ privateKey: 'k', password: '${env:P}' })).toContain('privateKey: set exactly one of privateKey and password');
    expect(problem({})).toContain('privateKey: set exactly one');
  });

  it('refuses inline secrets without echoing them', () => {
    const message = problem({ password: 'hunter2-literal' });
    expect(message).toContain('password: must be a ${env:…} or ${file:…} reference');
    expect(message).not.toContain('hunter2');
    expect(problem({ privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn...' })).toContain('privateKey: must be a path');
    expect(problem({ privateKey: '${env:KEY}' })).toContain('privateKey: must be a file path or a ${file:…} reference');
    expect(problem({ privateKey: 'k', passphrase: 'literal' })).toContain('passphrase:');
  });

  it('requires a pinned SHA256 host key, or insecure-accept-any spelt exactly', () => {
    const withoutHostKey = Object.fromEntries(Object.entries(base).filter(([key]) => key !== 'hostKey')) as typeof base;
    expect(() => createConnector({ ...withoutHostKey, privateKey: 'k' }, context)).toThrowError(
      expect.objectContaining({ message: expect.stringContaining('hostKey:') }),
    );
    expect(problem({ privateKey: 'k', hostKey: 'ssh-ed25519 AAAAC3Nza' })).toContain('hostKey: must be');
    expect(problem({ privateKey: 'k', hostKey: 'Insecure-Accept-Any' })).toContain('hostKey:');
    expect(() => createConnector({ ...base, privateKey: 'k', hostKey: 'insecure-accept-any' }, context)).not.toThrow();
  });

  it('refuses a relative or climbing root, a bad after, and unknown keys', () => {
    expect(problem({ privateKey: 'k', root: 'inbox' })).toContain('root: must be an absolute remote path');
    expect(problem({ privateKey: 'k', root: '/a/../b' })).toContain('root:');
    expect(problem({ privateKey: 'k', after: 'move:../x' })).toContain('after');
    expect(problem({ privateKey: 'k', after: 'archive' })).toContain('after');
    expect(problem({ privateKey: 'k', after: 'move:/done' })).toContain('after: move: must name a folder relative to the root');
    expect(problem({ privateKey: 'k', after: 'move:./' })).toContain('after: move: must name a folder, not the root');
    expect(problem({ privateKey: 'k', prot: 22 })).toContain('"prot"');
  });
});
