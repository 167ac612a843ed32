#!/usr/bin/env node
// Container health check, without dependencies (it runs in the Airlock image with plain Node).
//   node docker/healthcheck.mjs serve   GET http://127.0.0.1:${PORT:-8080}/readyz answers 200 within 3 s
//   node docker/healthcheck.mjs worker  the heartbeat file `airlock worker` touches every 10 s
//                                       ($AIRLOCK_WORKER_HEARTBEAT_FILE, default /tmp/airlock-worker.heartbeat)
//                                       was modified less than 60 s ago
// Exit 0 healthy, 1 not (with one line on stderr saying why), 2 on a usage error.
import { statSync } from 'node:fs';
import { get } from 'node:http';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';

const TIMEOUT_MS = 3_000;
const HEARTBEAT_MAX_AGE_MS = 60_000;
const DEFAULT_HEARTBEAT_FILE = '/tmp/airlock-worker.heartbeat';

function serve() {
  const port = process.env.PORT || '8080';
  const url = `http://127.0.0.1:${port}/readyz`;
  return new Promise((resolve) => {
    const request = get(url, { timeout: TIMEOUT_MS }, (response) => {
      response.resume();
      resolve(response.statusCode === 200 ? 0 : unhealthy(`${url} answered ${response.statusCode}`));
    });
    // `timeout` covers an idle socket; the timer bounds the whole exchange, connecting included.
    const timer = setTimeout(() => request.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    request.on('timeout', () => request.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    request.on('error', (error) => resolve(unhealthy(`${url}: ${error.code ?? error.message}`)));
    request.on('close', () => clearTimeout(timer));
  });
}

function worker() {
  const file = process.env.AIRLOCK_WORKER_HEARTBEAT_FILE || DEFAULT_HEARTBEAT_FILE;
  let age;
  try {
    age = Date.now() - statSync(file).mtimeMs;
  } catch (error) {
    return unhealthy(`heartbeat file ${file}: ${error?.code ?? error?.message}`);
  }
  if (age < HEARTBEAT_MAX_AGE_MS) return 0;
  return unhealthy(`heartbeat file ${file} is ${Math.round(age / 1000)} s old (limit ${HEARTBEAT_MAX_AGE_MS / 1000} s)`);
}

function unhealthy(reason) {
  process.stderr.write(`unhealthy: ${reason}\n`);
  return 1;
}

const mode = process.argv[2];
if (mode === 'serve') process.exitCode = await serve();
else if (mode === 'worker') process.exitCode = worker();
else {
  process.stderr.write('usage: node healthcheck.mjs serve|worker\n');
  process.exitCode = 2;
}
