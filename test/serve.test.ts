// `airlock serve` as an operator starts it: a child process on a free port, probed over HTTP, then
// stopped with SIGTERM the way a container runtime or systemd stops it.
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeResult, freePort, makeWorkspace, runCli, startCli, type CliProcess, type Workspace } from './run-cli.js';
import { backendName } from './test-store.js';

const STARTUP_LIMIT_MS = 45_000;
const SHUTDOWN_LIMIT_MS = 30_000;

function output(serve: CliProcess): string {
  return `--- stdout ---\n${serve.stdout()}\n--- stderr ---\n${serve.stderr()}`;
}

/** Polls /healthz until it answers 200; fails early if the server exits, and after `limitMs`. */
async function waitUntilHealthy(serve: CliProcess, base: string, limitMs: number): Promise<void> {
  let exited = false;
  void serve.exited.then(() => (exited = true));
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`airlock serve exited (code ${serve.child.exitCode}) before /healthz answered.\n${output(serve)}`);
    const status = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`airlock serve did not answer /healthz with 200 within ${limitMs / 1000} s.\n${output(serve)}`);
}

describe(`airlock serve (${backendName} store)`, () => {
  let ws: Workspace;
  let serve: CliProcess;
  let base: string;

  beforeAll(async () => {
    ws = await makeWorkspace();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    serve = startCli(['serve', '--port', String(port), '--host', '127.0.0.1'], { cwd: ws.dir, env: ws.env });
    await waitUntilHealthy(serve, base, STARTUP_LIMIT_MS);
  }, STARTUP_LIMIT_MS + 15_000);

  afterAll(async () => {
    // Only if a test failed before stopping it: never leave a server behind.
    if (serve && serve.child.exitCode === null && serve.child.signalCode === null) {
      serve.child.kill('SIGKILL');
      await serve.exited.catch(() => undefined);
    }
    await ws?.cleanup();
  });

  it('answers /healthz with 200 and its version', async () => {
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', version: expect.any(String) });
  });

  it('answers /readyz with 200 and status ready once the store and queue are up', async () => {
    const response = await fetch(`${base}/readyz`);
    expect(response.status, output(serve)).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ready', checks: { database: true, queue: true } });
  });

  it('answers an unknown path with 404 as application/problem+json', async () => {
    const response = await fetch(`${base}/no/such/route`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({ code: 'not_found', status: 404, detail: expect.stringContaining('/no/such/route') });
  });

  // Last: it stops the shared server.
  it(
    'exits 0 within 30 s of SIGTERM',
    async () => {
      serve.child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), SHUTDOWN_LIMIT_MS);
      });
      const result = await Promise.race([serve.exited, timeout]).finally(() => clearTimeout(timer));
      if (result === 'timeout')
        throw new Error(`airlock serve was still running ${SHUTDOWN_LIMIT_MS / 1000} s after SIGTERM.\n${output(serve)}`);
      expect({ code: result.code, signal: result.signal }, output(serve)).toEqual({ code: 0, signal: null });
    },
    SHUTDOWN_LIMIT_MS + 10_000,
  );
});

describe(`airlock serve on a taken port (${backendName} store)`, () => {
  it('exits 2 at once naming the port, and releases the store for the next command', async () => {
    const ws = await makeWorkspace();
    const blocker = createServer();
    try {
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      const port = (blocker.address() as { port: number }).port;
      const result = await runCli(['serve', '--port', String(port), '--host', '127.0.0.1'], { cwd: ws.dir, env: ws.env });
      expect(result.code, describeResult(result)).toBe(2);
      expect(result.stderr).toContain(`Port 127.0.0.1:${port} is already in use`);
      const next = await runCli(['tickets'], { cwd: ws.dir, env: ws.env });
      expect(next.code, describeResult(next)).toBe(0);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
      await ws.cleanup();
    }
  });
});
