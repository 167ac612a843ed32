// `airlock users …` run as an operator runs it: bin/airlock.js in a child process (test/run-cli.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeResult, makeWorkspace, type CliResult, type Workspace } from '../../../test/run-cli.js';
import { backendName } from '../../../test/test-store.js';

// Each CLI run is a fresh Node process (tsx plus the store): seconds, not milliseconds.
const SLOW = 180_000;

function expectExit(result: CliResult, code: number): void {
  expect(result.code, describeResult(result)).toBe(code);
}

describe(`airlock users (${backendName} store)`, () => {
  let ws: Workspace;
  const listed = async () => {
    const result = await ws.run(['users', 'list', '--json']);
    expectExit(result, 0);
    return result.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { name: string; email: string; roles: string[]; disabledAt: string | null });
  };
  beforeAll(async () => {
    ws = await makeWorkspace();
  });
  afterAll(async () => {
    await ws?.cleanup();
  });

  it(
    '`users add` adds a user with its roles, and `users list --json` shows it',
    async () => {
      const added = await ws.run(['users', 'add', 'alice', '--email', 'alice@example.com', '--roles', 'requester,approver']);
      expectExit(added, 0);
      expect(added.stdout).toBe('Added user alice <alice@example.com> with roles requester, approver.\n');
      expect(await listed()).toEqual([
        expect.objectContaining({ name: 'alice', email: 'alice@example.com', roles: ['requester', 'approver'], disabledAt: null }),
      ]);
    },
    SLOW,
  );

  it(
    '`users add` with an unknown role exits 2 naming the role and the valid ones, and adds no one',
    async () => {
      const result = await ws.run(['users', 'add', 'bob', '--email', 'bob@example.com', '--roles', 'requester,superuser']);
      expectExit(result, 2);
      expect(result.stderr).toContain('Unknown role "superuser"; valid roles are requester, approver, operator, auditor, admin.');
      expect(result.stdout).toBe('');
      expect((await listed()).map((u) => u.name)).toEqual(['alice']);
    },
    SLOW,
  );

  it(
    '`users add` exits 2 naming the field for a bad name or e-mail, a taken name, or a missing --email',
    async () => {
      const badName = await ws.run(['users', 'add', 'Bob Smith', '--email', 'bob@example.com', '--roles', 'requester']);
      expectExit(badName, 2);
      expect(badName.stderr).toContain('Invalid user: name "Bob Smith" must be 1 to 64 characters');

      const badEmail = await ws.run(['users', 'add', 'bob', '--email', 'bob-at-example', '--roles', 'requester']);
      expectExit(badEmail, 2);
      expect(badEmail.stderr).toContain('email "bob-at-example" must be an e-mail address');

      const taken = await ws.run(['users', 'add', 'alice', '--email', 'other@example.com', '--roles', 'admin']);
      expectExit(taken, 2);
      expect(taken.stderr).toContain('A user named "alice" already exists');

      const noEmail = await ws.run(['users', 'add', 'bob', '--roles', 'requester']);
      expectExit(noEmail, 2);
      expect(noEmail.stderr).toContain('"airlock users add" needs --email');
    },
    SLOW,
  );

  it(
    '`users disable` marks the user disabled; an unknown user or subcommand exits 2',
    async () => {
      const disabled = await ws.run(['users', 'disable', 'alice']);
      expectExit(disabled, 0);
      expect(disabled.stdout).toMatch(/^User alice is disabled since \S+; their API tokens no longer work\.\n$/);
      expect((await listed())[0]?.disabledAt).toEqual(expect.any(String));

      const unknown = await ws.run(['users', 'disable', 'nobody']);
      expectExit(unknown, 2);
      expect(unknown.stderr).toContain('User "nobody" does not exist.');

      const wrong = await ws.run(['users', 'remove', 'alice']);
      expectExit(wrong, 2);
      expect(wrong.stderr).toContain('Use "airlock users add <name>');
    },
    SLOW,
  );
});
