import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { applyMigrations } from '../../shared/src/db/migrate';

/** The server tests use; each test file gets its own database on it. */
export function adminUrl(): string {
  return process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
}

export function testDatabaseUrl(name: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database cloned from this run's template; with `icuLocale`, created
 * with that ICU collation instead (as a default cloud or Debian database sorts text) and
 * migrated on its own.
 */
export async function createTestDatabase(options: { icuLocale?: string } = {}): Promise<TestDatabase> {
  const template = process.env.SA_TEST_TEMPLATE_DB;
  const run = process.env.SA_TEST_RUN;
  if (!template || !run) throw new Error('no template database: run the tests through jest (globalSetup creates it)');
  const name = `sa_test_${run}_${randomBytes(5).toString('hex')}`;
  if (options.icuLocale) {
    await admin((client) => client.query(`CREATE DATABASE "${name}" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '${options.icuLocale}' LOCALE 'C.UTF-8'`));
    await applyMigrations({ databaseUrl: testDatabaseUrl(name) });
  } else {
    await admin((client) => client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  }
  let dropped: Promise<void> | undefined;
  return {
    name,
    url: testDatabaseUrl(name),
    drop() {
      dropped ??= admin(async (client) => {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      });
      return dropped;
    },
  };
}

export async function dropDatabasesOfRun(run: string): Promise<void> {
  await admin(async (client) => {
    const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`sa_test_${run}_%`]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  });
}
