/** `pnpm db:migrate`: create the database if needed and apply pending migrations. */
import { ConfigError, loadConfig } from '@shared/config/config';
import { applyMigrations } from '@shared/db/migrate';

async function main(): Promise<void> {
  const config = loadConfig();
  const result = await applyMigrations({ databaseUrl: config.database.url });
  const summary = result.applied.length === 0 ? 'nothing to apply' : `applied ${result.applied.join(', ')}`;
  process.stdout.write(`migrations: ${summary} (${result.alreadyApplied} already applied)\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : `db:migrate: ${error.message}`}\n`);
  process.exit(1);
});
