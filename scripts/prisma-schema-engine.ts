/**
 * Prisma's schema engine, offline: the wasm build of the engine that `prisma migrate diff`
 * and `prisma migrate dev` use, for machines that cannot download the native binary.
 *
 *   tsx scripts/prisma-schema-engine.ts diff          SQL from the committed migrations to schema.prisma
 *                                                     (nothing printed = no drift; exit 2 when there is drift)
 *   tsx scripts/prisma-schema-engine.ts new <name>    write prisma/migrations/<timestamp>_<name>/migration.sql
 *
 * It needs a PostgreSQL server (DATABASE_URL's host and user) for a temporary shadow
 * database, which it creates and drops. Workarounds for @prisma/adapter-pg 7.10.1 on this
 * path (each reproduced, see docs/architecture.md, "Prisma offline"): the catalog's "char" type (OID 18)
 * is reported as text, scripts are sent whole (the adapter splits them on every `;`), the
 * shadow database is dropped after its pool is closed, and pools are built from discrete
 * fields so a connection string cannot silently point the "shadow" at the main database.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';

const repoRoot = resolve(__dirname, '..');
// SA_SCHEMA_PATH lets the drift test diff a modified copy of the schema.
export const schemaPath = process.env.SA_SCHEMA_PATH ?? join(repoRoot, 'prisma', 'schema.prisma');
export const migrationsDir = join(repoRoot, 'prisma', 'migrations');

interface ServerFields {
  host: string;
  port: number;
  user: string;
  password?: string;
}

function serverFields(databaseUrl: string): ServerFields {
  const url = new URL(databaseUrl);
  return {
    host: url.hostname || '127.0.0.1',
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username || 'postgres'),
    password: url.password ? decodeURIComponent(url.password) : undefined,
  };
}

type Adapter = Awaited<ReturnType<PrismaPg['connect']>>;

/** Applies the two adapter workarounds: whole scripts, and "char" (OID 18) read as text (OID 25). */
function patchAdapter(adapter: Adapter): Adapter {
  const pool = adapter.underlyingDriver();
  adapter.executeScript = async (script: string) => {
    await pool.query(script);
  };
  const patchable = adapter as unknown as { performIO(query: unknown): Promise<pg.QueryResult> };
  const performIO = patchable.performIO.bind(adapter);
  patchable.performIO = async (query) => {
    const result = await performIO(query);
    for (const field of result?.fields ?? []) if (field.dataTypeID === 18) field.dataTypeID = 25;
    return result;
  };
  return adapter;
}

function adapterFactory(server: ServerFields, database: string) {
  const base = new PrismaPg({ ...server, database, max: 2 });
  return {
    provider: base.provider,
    adapterName: base.adapterName,
    async connect() {
      return patchAdapter(await base.connect());
    },
    async connectToShadowDb() {
      const shadow = `prisma_shadow_${randomUUID().replace(/-/g, '')}`;
      await adminQuery(server, `CREATE DATABASE "${shadow}"`);
      const adapter = patchAdapter(
        await new PrismaPg({ ...server, database: shadow, max: 2 }).connect(),
      );
      const dispose = adapter.dispose.bind(adapter);
      adapter.dispose = async () => {
        await dispose();
        await adminQuery(server, `DROP DATABASE IF EXISTS "${shadow}" WITH (FORCE)`);
      };
      return adapter;
    },
  };
}

async function adminQuery(server: ServerFields, sql: string): Promise<void> {
  const client = new pg.Client({ ...server, database: 'postgres' });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function loadEngine(server: ServerFields) {
  // The package is ESM with a wasm module: load its JS glue and instantiate the wasm ourselves.
  const glue: any = await import('@prisma/schema-engine-wasm/schema_engine_bg');
  const wasmPath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg').replace(/\.js$/, '.wasm');
  const { instance } = await (globalThis as any).WebAssembly.instantiate(readFileSync(wasmPath), { './schema_engine_bg.js': glue });
  glue.__wbg_set_wasm(instance.exports);
  (instance.exports as any).__wbindgen_start?.();
  const schema = readFileSync(schemaPath, 'utf8');
  const factory = bindMigrationAwareSqlAdapterFactory(adapterFactory(server, 'postgres') as any);
  const engine = await glue.SchemaEngine.new({ datamodels: [[schemaPath, schema]] }, () => undefined, factory);
  return { engine, schema };
}

function migrationList() {
  const directories = existsSync(migrationsDir)
    ? readdirSync(migrationsDir, { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name)
        .sort()
    : [];
  const lockPath = join(migrationsDir, 'migration_lock.toml');
  return {
    baseDir: migrationsDir,
    lockfile: { path: 'migration_lock.toml', content: existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : null },
    shadowDbInitScript: '',
    migrationDirectories: directories.map((path) => ({
      path,
      migrationFile: { path: 'migration.sql', content: { tag: 'ok', value: readFileSync(join(migrationsDir, path, 'migration.sql'), 'utf8') } },
    })),
  };
}

/** The SQL that takes a database from the committed migrations to `schemaText` ('' = no drift). */
export async function diffMigrationsToSchema(databaseUrl: string, schemaText?: string): Promise<string> {
  const server = serverFields(databaseUrl);
  const { engine, schema } = await loadEngine(server);
  const captured: string[] = [];
  const originalWrite = process.stdout.write.bind(process.stdout);
  // The engine prints the script to stdout itself in some builds; capture rather than interleave.
  process.stdout.write = ((chunk: string | Uint8Array) => {
    captured.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    const result = await engine.diff({
      from: { tag: 'migrations', ...migrationList() },
      to: { tag: 'schemaDatamodel', files: [{ path: schemaPath, content: schemaText ?? schema }] },
      script: true,
      exitCode: null,
      filters: { externalTables: [], externalEnums: [] },
    });
    const script = (result.stdout ?? captured.join('')).trim();
    return script === '-- This is an empty migration.' ? '' : script;
  } finally {
    process.stdout.write = originalWrite;
  }
}

function timestamp(date = new Date()): string {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

async function main(argv: string[]): Promise<number> {
  const [command, name] = argv;
  const databaseUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  if (command === 'diff') {
    const sql = await diffMigrationsToSchema(databaseUrl);
    if (sql) process.stdout.write(`${sql}\n`);
    return sql ? 2 : 0;
  }
  if (command === 'new' && name && /^[a-z0-9_]+$/.test(name)) {
    const sql = await diffMigrationsToSchema(databaseUrl);
    if (!sql) {
      process.stderr.write('schema.prisma and the migrations agree: no migration to write\n');
      return 1;
    }
    const dir = join(migrationsDir, `${timestamp()}_${name}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'migration.sql'), `${sql}\n`);
    const lock = join(migrationsDir, 'migration_lock.toml');
    if (!existsSync(lock)) {
      writeFileSync(lock, '# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "postgresql"\n');
    }
    process.stdout.write(`wrote ${dir}/migration.sql\n`);
    return 0;
  }
  process.stderr.write('usage: tsx scripts/prisma-schema-engine.ts diff | new <snake_case_name>\n');
  return 64;
}

if (require.main === module) {
  // The engine leaves timers and pools open: exit explicitly once the work is done.
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`prisma-schema-engine: ${error.message}\n`);
      process.exit(1);
    },
  );
}
