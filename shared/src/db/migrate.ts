import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import type { Logger } from '../logger/logger';
import { NamedError } from '../errors/errors';

/**
 * Applies committed Prisma-format migrations (prisma/migrations/<name>/migration.sql) without
 * Prisma's native engine, writing Prisma's own bookkeeping (`_prisma_migrations`, same
 * checksums, same advisory lock) so that `prisma migrate deploy` and this runner are
 * interchangeable on the same database.
 */

const PRISMA_ADVISORY_LOCK = 72707369;

export class MigrationError extends NamedError {
  constructor(message: string) {
    super(message);
  }
}

export interface MigrationResult {
  applied: string[];
  alreadyApplied: number;
}

interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

/** <repo>/prisma/migrations, found from this file's location. */
export function findMigrationsDir(): string {
  return resolve(__dirname, '..', '..', '..', 'prisma', 'migrations');
}

function readMigrations(dir: string): MigrationFile[] {
  if (!existsSync(dir)) throw new MigrationError(`no migrations folder at ${dir}`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

function describeServer(url: URL): string {
  return `${url.hostname}:${url.port || 5432}`;
}

function connectionError(url: URL, error: Error): MigrationError {
  const reason = (error as NodeJS.ErrnoException).code ?? error.message;
  return new MigrationError(`cannot reach PostgreSQL at ${describeServer(url)}: ${reason === error.message ? reason : `${reason} (${error.message})`}`);
}

/** CREATE DATABASE when it does not exist, so `pnpm start` works against an empty server. */
async function ensureDatabase(url: URL): Promise<void> {
  const database = decodeURIComponent(url.pathname.slice(1));
  if (!database) throw new MigrationError('DATABASE_URL names no database');
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const client = new pg.Client({ connectionString: maintenance.toString(), connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    throw connectionError(url, error as Error);
  }
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`).catch((error: Error & { code?: string }) => {
        if (error.code !== '42P04') throw error; // created meanwhile by another process
      });
    }
  } finally {
    await client.end();
  }
}

const CREATE_BOOKKEEPING = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  id VARCHAR(36) PRIMARY KEY NOT NULL,
  checksum VARCHAR(64) NOT NULL,
  finished_at TIMESTAMPTZ,
  migration_name VARCHAR(255) NOT NULL,
  logs TEXT,
  rolled_back_at TIMESTAMPTZ,
  started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  applied_steps_count INTEGER NOT NULL DEFAULT 0
)`;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

function checkHistory(files: MigrationFile[], rows: AppliedRow[]): Set<string> {
  const done = new Set<string>();
  for (const row of rows) {
    if (row.rolled_back_at) continue;
    if (!row.finished_at) {
      throw new MigrationError(
        `migration ${row.migration_name} failed earlier and is not resolved: fix the database, then mark it rolled back (UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = '${row.migration_name}') or applied`,
      );
    }
    const file = files.find((f) => f.name === row.migration_name);
    if (file && file.checksum !== row.checksum) {
      throw new MigrationError(`migration ${row.migration_name} was changed after it was applied (checksum differs): add a new migration instead`);
    }
    done.add(row.migration_name);
  }
  return done;
}

async function applyOne(client: pg.Client, file: MigrationFile): Promise<void> {
  const id = randomUUID();
  await client.query('INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())', [
    id,
    file.checksum,
    file.name,
  ]);
  try {
    // One query: the script runs whole, as `prisma migrate deploy` sends it.
    await client.query(file.sql);
  } catch (error) {
    await client.query('UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1', [id, (error as Error).message]);
    throw new MigrationError(`migration ${file.name} failed: ${(error as Error).message}`);
  }
  await client.query(
    'UPDATE "_prisma_migrations" SET applied_steps_count = applied_steps_count + 1, finished_at = now() WHERE id = $1',
    [id],
  );
}

export async function applyMigrations(options: {
  databaseUrl: string;
  migrationsDir?: string;
  logger?: Pick<Logger, 'info'>;
}): Promise<MigrationResult> {
  const url = new URL(options.databaseUrl);
  const files = readMigrations(options.migrationsDir ?? findMigrationsDir());
  await ensureDatabase(url);
  const client = new pg.Client({ connectionString: options.databaseUrl, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    throw connectionError(url, error as Error);
  }
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK]);
    await client.query(CREATE_BOOKKEEPING);
    const { rows } = await client.query<AppliedRow>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at',
    );
    const done = checkHistory(files, rows);
    const applied: string[] = [];
    for (const file of files.filter((f) => !done.has(f.name))) {
      await applyOne(client, file);
      applied.push(file.name);
      options.logger?.info({ migration: file.name }, 'migration applied');
    }
    return { applied, alreadyApplied: done.size };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK]).catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}
