// `airlock tokens …` run as an operator runs it: bin/airlock.js in a child process (test/run-cli.ts); the
// tokens it prints are then checked against the workspace's store with authenticateToken.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeResult, makeWorkspace, type CliResult, type Workspace } from '../../../test/run-cli.js';
import { backendName } from '../../../test/test-store.js';
import { authenticateToken, hashToken, type TokenAuthentication } from '../../auth/token-store.js';
import { openStore } from '../../db/database.js';

// Each CLI run is a fresh Node process (tsx plus the store): seconds, not milliseconds.
const SLOW = 180_000;
const DAY_MS = 86_400_000;

function expectExit(result: CliResult, code: number): void {
  expect(result.code, describeResult(result)).toBe(code);
}

/** Authenticates against the workspace's own store; the embedded one only opens while no child holds it. */
async function authenticate(ws: Workspace, token: string): Promise<TokenAuthentication | undefined> {
  const url = ws.env.DATABASE_URL;
  const store = await openStore(url ? { kind: 'postgres', url } : { kind: 'embedded', dataDir: path.join(ws.dir, '.airlock') });
  try {
    return await authenticateToken(store.db, token);
  } finally {
    await store.close();
  }
}

/** Runs `tokens create` and returns the token it printed, after checking that stdout holds nothing else. */
async function createToken(ws: Workspace, args: string[]): Promise<{ token: string; result: CliResult }> {
  const result = await ws.run(['tokens', 'create', ...args]);
  expectExit(result, 0);
  expect(result.stdout).toMatch(/^alk_[A-Za-z0-9_-]{43}\n$/);
  return { token: result.stdout.slice(0, -1), result };
}

describe(`airlock tokens (${backendName} store)`, () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await makeWorkspace();
    expectExit(await ws.run(['users', 'add', 'ci-bot', '--email', 'ci@example.com', '--roles', 'requester,operator']), 0);
  }, SLOW);
  afterAll(async () => {
    await ws?.cleanup();
  });

  it(
    '`tokens create` prints the token alone on stdout, once, and it authenticates as its user',
    async () => {
      const { token, result } = await createToken(ws, ['ci-bot', '--label', 'pipeline', '--expires-days', '7']);
      expect(result.stderr).toContain(`Created token ${token.slice(0, 12)} (id `);
      expect(result.stderr).toContain('shown only this once');
      expect(result.stderr).not.toContain(token);
      const auth = await authenticate(ws, token);
      expect(auth?.user).toMatchObject({ name: 'ci-bot', email: 'ci@example.com', roles: ['requester', 'operator'] });

      const listed = await ws.run(['tokens', 'list', 'ci-bot', '--json']);
      expectExit(listed, 0);
      const [shown, ...others] = listed.stdout.trim().split('\n');
      expect(others).toEqual([]);
      const info = JSON.parse(shown!) as Record<string, unknown>;
      expect(info).toMatchObject({ id: auth?.tokenId, prefix: token.slice(0, 12), user: 'ci-bot', label: 'pipeline', state: 'active' });
      expect(Date.parse(info.expiresAt as string) - Date.parse(info.createdAt as string)).toBe(7 * DAY_MS);
      // Neither the secret nor its hash leaves the store.
      expect(listed.stdout).not.toContain(token);
      expect(listed.stdout).not.toContain(hashToken(token));
      expect(Object.keys(info)).not.toContain('tokenHash');
    },
    SLOW,
  );

  it(
    '`tokens revoke <prefix>` stops the token from authenticating, and `tokens list` shows it revoked',
    async () => {
      const { token } = await createToken(ws, ['ci-bot']);
      const revoked = await ws.run(['tokens', 'revoke', token.slice(0, 12)]);
      expectExit(revoked, 0);
      expect(revoked.stdout).toMatch(new RegExp(`^Token ${token.slice(0, 12)} \\(id \\S+\\) of ci-bot is revoked since \\S+\\.\\n$`));
      expect(await authenticate(ws, token)).toBeUndefined();
      const listed = await ws.run(['tokens', 'list']);
      expectExit(listed, 0);
      expect(listed.stdout).toMatch(new RegExp(`^${token.slice(0, 12)} {2}revoked +ci-bot `, 'm'));
    },
    SLOW,
  );

  it(
    'refuses bad input with exit 2 naming it, and prints nothing on stdout',
    async () => {
      const unknown = await ws.run(['tokens', 'create', 'nobody']);
      expectExit(unknown, 2);
      expect(unknown.stderr).toContain('User "nobody" does not exist.');
      expect(unknown.stdout).toBe('');

      const days = await ws.run(['tokens', 'create', 'ci-bot', '--expires-days', '5000']);
      expectExit(days, 2);
      expect(days.stderr).toContain('--expires-days must be a whole number of days from 1 to 3650, got "5000".');
      expect(days.stdout).toBe('');

      const badRef = await ws.run(['tokens', 'revoke', 'not-a-token']);
      expectExit(badRef, 2);
      expect(badRef.stderr).toContain('A token is named by its id (a uuid) or its prefix');
    },
    SLOW,
  );

  it(
    "`users disable` makes the user's tokens stop authenticating, and no new one can be created",
    async () => {
      expectExit(await ws.run(['users', 'add', 'temp', '--email', 'temp@example.com', '--roles', 'auditor']), 0);
      const { token } = await createToken(ws, ['temp']);
      expect((await authenticate(ws, token))?.user.name).toBe('temp');
      expectExit(await ws.run(['users', 'disable', 'temp']), 0);
      expect(await authenticate(ws, token)).toBeUndefined();
      const again = await ws.run(['tokens', 'create', 'temp']);
      expectExit(again, 2);
      expect(again.stderr).toContain('User "temp" is disabled');
      expect(again.stdout).toBe('');
    },
    SLOW,
  );
});
