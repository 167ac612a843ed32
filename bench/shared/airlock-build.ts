// Building Airlock before a benchmark starts `node bin/airlock.js …` processes, so they run the compiled
// dist/ (as in production) rather than the TypeScript sources through tsx.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchRun } from './bench-run.js';

/**
 * Runs `npm run build` in `repo` (a failed build fails the run) and returns whether bin/airlock.js will run
 * the compiled dist/, warning when it will not.
 */
export async function buildAirlock(repo: string, bench: Pick<BenchRun, 'progress' | 'fail' | 'defer'>): Promise<boolean> {
  bench.progress('building (npm run build), so bin/airlock.js runs the compiled dist/');
  // Not spawnSync: SIGINT and the time limit must be handled while it compiles.
  const build = spawn('npm', ['run', '--silent', 'build'], { cwd: repo, stdio: ['ignore', 'inherit', 'inherit'], timeout: 300_000 });
  const stopBuild = bench.defer('stopping the build', async () => void build.kill('SIGTERM'));
  const built = await new Promise<number | null>((resolve, reject) => {
    build.once('error', reject);
    build.once('close', resolve);
  });
  await stopBuild();
  if (built !== 0) bench.fail('npm run build failed');
  const fromDist = compiledIsFresh(repo);
  if (!fromDist) bench.progress('warning: sources are newer than dist/ (edited since the build?): bin/airlock.js runs them through tsx');
  return fromDist;
}

/**
 * Whether `bin/airlock.js` will run the compiled dist/ (it falls back to the TypeScript sources through tsx
 * when any source is newer than dist/src/cli/main.js): the same test as bin/airlock.js makes.
 */
export function compiledIsFresh(repo: string): boolean {
  const newest = (dir: string): number => {
    let max = 0;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) max = Math.max(max, newest(full));
      else if (entry.name.endsWith('.ts') && !/\.test(-support)?\.ts$/.test(entry.name)) max = Math.max(max, statSync(full).mtimeMs);
    }
    return max;
  };
  try {
    const built = statSync(join(repo, 'dist/src/cli/main.js')).mtimeMs;
    return ['src', 'checks', 'connectors'].every((dir) => newest(join(repo, dir)) <= built);
  } catch {
    return false;
  }
}
