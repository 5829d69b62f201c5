import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { applyMigrations, findMigrationsDir } from '@shared/db/migrate';
import { adminUrl, testDatabaseUrl } from '../support/database';

const TABLES = ['_prisma_migrations', 'activity_days', 'aggregate_snapshots', 'analytics_users', 'behavioral_events', 'cache_repairs', 'card_review_days', 'card_review_weeks', 'cognitive_load_snapshots', 'intervention_effects', 'objective_latest_reviews', 'study_sessions'];

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('migration runner', () => {
  const created: string[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'sa-migrations-'));
  const freshName = () => {
    const name = `sa_mig_${process.pid}_${created.length}_${Date.now() % 100000}`;
    created.push(name);
    return name;
  };

  afterAll(async () => {
    for (const name of created) await query(adminUrl(), `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    rmSync(scratch, { recursive: true, force: true });
  });

  it('creates the database and every table, and a second run changes nothing', async () => {
    const url = testDatabaseUrl(freshName());
    const first = await applyMigrations({ databaseUrl: url });
    // Every folder of prisma/migrations, in name order.
    expect(first.applied).toEqual(readdirSync(findMigrationsDir(), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort());
    expect(first.applied[0]).toMatch(/_init$/);
    const tables = await query<{ tablename: string }>(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
    expect(tables.map((t) => t.tablename)).toEqual(TABLES);

    const second = await applyMigrations({ databaseUrl: url });
    expect(second).toEqual({ applied: [], alreadyApplied: first.applied.length });

    const [row] = await query<{ checksum: string; finished_at: Date | null; applied_steps_count: number; migration_name: string }>(
      url,
      'SELECT * FROM "_prisma_migrations" ORDER BY migration_name LIMIT 1',
    );
    const sql = readFileSync(join(findMigrationsDir(), row!.migration_name, 'migration.sql'));
    expect(row!.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
    expect(row!.finished_at).toBeInstanceOf(Date);
    expect(row!.applied_steps_count).toBe(1);
  });

  it('refuses a migration that changed after it was applied', async () => {
    const url = testDatabaseUrl(freshName());
    const dir = join(scratch, 'changed');
    cpSync(findMigrationsDir(), dir, { recursive: true });
    await applyMigrations({ databaseUrl: url, migrationsDir: dir });
    const [init] = (await query<{ migration_name: string }>(url, 'SELECT migration_name FROM "_prisma_migrations"')).map((r) => r.migration_name);
    writeFileSync(join(dir, init!, 'migration.sql'), `${readFileSync(join(dir, init!, 'migration.sql'), 'utf8')}\n-- edited\n`);
    await expect(applyMigrations({ databaseUrl: url, migrationsDir: dir })).rejects.toThrow(/was changed after it was applied/);
  });

  it('records a failing migration and blocks the next run until it is resolved', async () => {
    const url = testDatabaseUrl(freshName());
    const dir = join(scratch, 'failing');
    cpSync(findMigrationsDir(), dir, { recursive: true });
    mkdirSync(join(dir, '99990101000000_broken'));
    writeFileSync(join(dir, '99990101000000_broken', 'migration.sql'), 'ALTER TABLE "no_such_table" ADD COLUMN x INT;');
    await expect(applyMigrations({ databaseUrl: url, migrationsDir: dir })).rejects.toThrow(/99990101000000_broken failed: .*no_such_table/);
    const [failed] = await query<{ finished_at: Date | null; logs: string }>(
      url,
      `SELECT finished_at, logs FROM "_prisma_migrations" WHERE migration_name = '99990101000000_broken'`,
    );
    expect(failed!.finished_at).toBeNull();
    expect(failed!.logs).toMatch(/no_such_table/);
    await expect(applyMigrations({ databaseUrl: url, migrationsDir: dir })).rejects.toThrow(/failed earlier and is not resolved/);
  });

  it('gives one clear line when the server is unreachable', async () => {
    const error = await applyMigrations({ databaseUrl: 'postgresql://postgres@127.0.0.1:1/nowhere' }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/^cannot reach PostgreSQL at 127\.0\.0\.1:1: ECONNREFUSED/);
    expect((error as Error).message).not.toMatch(/\n/);
  });
});
