/**
 * `pnpm recompute -- --user ID | --all [--verify]`: rebuild (or verify) users' aggregates
 * from the raw rows. The logic is in scripts/cli/recompute-command.ts; this file wires it
 * to the environment's configuration and connections.
 */
import { loadConfig } from '@shared/config/config';
import { createDatabase, pingDatabase } from '@shared/db/prisma-client';
import { createInfrastructure, StartupError } from '@shared/runtime/infrastructure';
import { createCliLogger } from './cli/cli-logger';
import { parseRecomputeFlags, RECOMPUTE_USAGE, runRecompute } from './cli/recompute-command';
import { runCli } from './cli/run-cli';

async function main(args: string[]): Promise<number> {
  const options = parseRecomputeFlags(args);
  const loaded = loadConfig();
  // A user's history queries run concurrently, but two connections per user in flight keep
  // the work moving; more would only take connections from the services.
  const config = { ...loaded, database: { ...loaded.database, connectionLimit: Math.min(loaded.database.connectionLimit, options.concurrency * 2 + 1) } };
  const out = process.stdout;
  const err = process.stderr;
  if (options.verify) {
    // Verifying reads PostgreSQL only: it works while Redis is down, and changes nothing.
    const db = createDatabase(config, { applicationName: 'study-analytics-recompute' });
    try {
      await pingDatabase(db.pool).catch((error: Error) => {
        throw new StartupError(`cannot reach PostgreSQL: ${error.message}`);
      });
      return await runRecompute(options, { db, cache: null, cachePrefix: config.cachePrefix, out, err });
    } finally {
      await db.close();
    }
  }
  const infra = await createInfrastructure(config, createCliLogger('recompute'), { applicationName: 'study-analytics-recompute' });
  try {
    return await runRecompute(options, { db: infra.db, cache: infra.cache, cachePrefix: config.cachePrefix, out, err });
  } finally {
    await infra.close();
  }
}

void runCli({ name: 'recompute', usage: RECOMPUTE_USAGE, main });
