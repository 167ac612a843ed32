// Prepared per run: when DATABASE_URL points at PostgreSQL, a migrated template database is built once
// here and every test file clones it (see test/test-store.ts). The embedded store needs nothing.
import { prepareTemplate, dropTemplate } from './postgres-template.js';

export async function setup(): Promise<void> {
  if (process.env.DATABASE_URL) await prepareTemplate(process.env.DATABASE_URL);
}

export async function teardown(): Promise<void> {
  if (process.env.DATABASE_URL) await dropTemplate(process.env.DATABASE_URL);
}
