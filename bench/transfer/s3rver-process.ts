// A throwaway s3rver in its own process, for `bench/transfer/run.ts`: the server's CPU time then does not
// share an event loop (or a core's scheduling) with the benchmark driver. Prints one JSON line on stdout,
// `{ endpoint, region, accessKeyId, secretAccessKey, dir }`, once it accepts requests; stops (and removes
// its data folder) on SIGTERM or SIGINT, or when its parent goes away (stdin closes).
//
//   node --import tsx bench/transfer/s3rver-process.ts [bucket ...]
import { startS3rver } from '../../test/servers/s3rver-server.js';

const server = await startS3rver({ buckets: process.argv.slice(2) });
let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await server.stop().catch((error: unknown) => process.stderr.write(`s3rver-process: stop failed: ${String(error)}\n`));
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.on('error', () => void stop());
process.stdin.resume();
const { endpoint, region, accessKeyId, secretAccessKey, dir } = server;
process.stdout.write(`${JSON.stringify({ endpoint, region, accessKeyId, secretAccessKey, dir })}\n`);
