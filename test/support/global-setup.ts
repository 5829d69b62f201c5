import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { applyMigrations } from '../../shared/src/db/migrate';
import { testDatabaseUrl } from './database';

/**
 * Once per Jest run: a migrated template database that every test file clones
 * (CREATE DATABASE … TEMPLATE …, a few ms) instead of migrating its own.
 */
export default async function globalSetup(): Promise<void> {
  const run = randomBytes(4).toString('hex');
  const template = `sa_test_${run}_tpl`;
  await applyMigrations({ databaseUrl: testDatabaseUrl(template) });
  process.env.SA_TEST_RUN = run;
  process.env.SA_TEST_TEMPLATE_DB = template;
  writeFileSync(join(tmpdir(), `sa-test-run-${process.pid}`), run);
}
