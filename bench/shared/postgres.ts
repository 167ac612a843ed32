// PostgreSQL for the benchmarks: a fresh database per run, created and dropped over an admin connection, the
// server's version for the report, and one-off connections.
import pg from 'pg';

/** Connects to `url`, runs `use`, and closes the connection whatever happens. */
export async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** Creates database `name` on the server of `adminUrl` (dropping a leftover of that name); returns its URL. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  await adminQuery(adminUrl, [`drop database if exists ${name} with (force)`, `create database ${name}`]);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await adminQuery(adminUrl, [`drop database if exists ${name} with (force)`]);
}

/** The server's version string (`PostgreSQL 15.x …`, up to the first comma). */
export async function postgresVersion(url: string): Promise<string> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ version: string }>('select version()');
    return rows[0]?.version.split(',')[0] ?? 'unknown';
  });
}

async function adminQuery(adminUrl: string, statements: string[]): Promise<void> {
  await withClient(adminUrl, async (client) => {
    for (const s of statements) await client.query(s);
  });
}

/** The URL with its password hidden, for messages and the report. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
