import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { dropDatabasesOfRun } from './database';

/** Drops the template and any database a test file of this run left behind. */
export default async function globalTeardown(): Promise<void> {
  const run = process.env.SA_TEST_RUN;
  if (run) await dropDatabasesOfRun(run);
  rmSync(join(tmpdir(), `sa-test-run-${process.pid}`), { force: true });
}
