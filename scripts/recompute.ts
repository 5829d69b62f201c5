/**
 * `pnpm recompute -- --user ID | --all [--verify]`: rebuild (or verify) users' aggregates
 * from the raw rows. The logic is in scripts/cli/recompute-command.ts; this file wires it
 * to the environment's configuration and connections.
 */
import { loadConfig } from '@shared/config/config';
import { createDatabase, pingDatabase } from '@shared/db/database';
import { cacheWriter, createConnections, StartupError } from '@shared/runtime/infrastructure';
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
  if (options.verify || options.buildRollups) {
    // Verifying and building rollups use PostgreSQL only: they work while Redis is down.
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
  // Rebuilding writes the cache but never reads it: the write side alone (no L1, no bus subscription).
  const logger = createCliLogger('recompute');
  const connections = await createConnections(config, logger, { applicationName: 'study-analytics-recompute' });
  const cache = cacheWriter(config, logger, connections.redis, connections.registry);
  try {
    return await runRecompute(options, { db: connections.db, cache, cachePrefix: config.cachePrefix, out, err });
  } finally {
    await connections.close();
  }
}

void runCli({ name: 'recompute', usage: RECOMPUTE_USAGE, main });
