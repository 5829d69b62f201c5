import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

// The schema engine is an ESM + wasm package: run the real CLI in a child process, as a
// developer would, rather than loading it into Jest's module system.
const run = promisify(execFile);
const root = join(__dirname, '..', '..');

async function diff(env: Record<string, string> = {}): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(join(root, 'node_modules', '.bin', 'tsx'), ['scripts/prisma-schema-engine.ts', 'diff'], {
      cwd: root,
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    if (failure.code !== 2) throw new Error(`schema engine failed: ${failure.stderr}`);
    return { code: failure.code, stdout: failure.stdout };
  }
}

describe('schema.prisma and prisma/migrations', () => {
  it('do not drift: the migrations produce exactly the schema', async () => {
    const result = await diff();
    expect(result.stdout.trim()).toBe('');
    expect(result.code).toBe(0);
  });

  it('would report drift: a schema with one more index gives SQL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sa-drift-'));
    try {
      const schema = readFileSync(join(root, 'prisma', 'schema.prisma'), 'utf8').replace(
        '@@map("analytics_users")',
        '@@index([firstSeenAt], map: "drift_probe_idx")\n  @@map("analytics_users")',
      );
      const probe = join(dir, 'schema.prisma');
      writeFileSync(probe, schema);
      const result = await diff({ SA_SCHEMA_PATH: probe });
      expect(result.code).toBe(2);
      expect(result.stdout).toMatch(/CREATE INDEX "drift_probe_idx"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
