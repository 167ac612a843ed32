import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { resolveSecret } from '../src/config/secret-ref.js';
import { createConnector, type ConnectorSpec } from './index.js';

/**
 * A write killed with SIGKILL halfway, as `kill -9` on a worker would leave it: this file, run as a child
 * process, builds the connector from `spec`, writes `CHUNK_BYTES` to `path` with `attempt`, prints `sent`
 * and then waits for bytes that never come. `killMidWrite` starts that child and kills it once `isPartial`
 * (which looks at the destination directly) sees the temporary file holding some bytes.
 */
export interface CrashedWrite {
  spec: ConnectorSpec;
  path: string;
  attempt: string;
}

const CHUNK_BYTES = 256 * 1024;
const SELF = fileURLToPath(import.meta.url);
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export async function killMidWrite(write: CrashedWrite, isPartial: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', SELF, JSON.stringify(write)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit');
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    const deadline = Date.now() + timeoutMs;
    while (!(output.includes('sent') && (await isPartial()))) {
      if (child.exitCode !== null) throw new Error(`The crash writer exited early (${child.exitCode}): ${output}`);
      if (Date.now() > deadline) throw new Error(`The crash writer left no partial file within ${timeoutMs} ms: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

async function main(): Promise<void> {
  const { spec, path, attempt } = JSON.parse(process.argv[2] ?? '') as CrashedWrite;
  const connector = createConnector(spec, {
    baseDir: '/',
    resolveSecret: (ref) => resolveSecret(ref, { env: process.env, baseDir: '/' }),
  });
  let sent = false;
  const source = new Readable({
    read() {
      if (sent) return; // never ends: only the kill finishes this write
      sent = true;
      this.push(Buffer.alloc(CHUNK_BYTES, 0x5a));
      process.stdout.write('sent\n');
    },
  });
  await connector.write(path, source, { attempt });
}

if (process.argv[1] === SELF) await main();
