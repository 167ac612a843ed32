// The anchor of `bench/api/run.ts`: a bare Hono app, one route returning a constant JSON, no middleware,
// served by @hono/node-server as `airlock serve` serves Airlock (same adapter, same Node, its own process).
// Its rate is the framework's ceiling on this machine. Stops on SIGTERM or SIGINT, or when stdin closes
// (its parent went away).
//
//   node bench/api/bare-server.ts <port>      (Node 24 strips the types; no tsx in the server process)
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  process.stderr.write('usage: node bench/api/bare-server.ts <port>\n');
  process.exit(2);
}

const app = new Hono();
app.get('/bare', (c) => c.json({ status: 'ok', service: 'bare-hono' }));

const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' });
const stop = (): void => {
  server.close(() => process.exit(0));
  // Keep-alive connections from wrk would hold close() open.
  setTimeout(() => process.exit(0), 1_000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
