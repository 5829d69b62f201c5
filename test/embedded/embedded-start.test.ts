import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { NO_PERIOD } from '@shared/contracts/analytics-query';
import { STORED_AGGREGATE_KEYS } from '@shared/aggregates/registry';
import { API_KEYS_ENV, KEYS } from '../support/api-app';
import { expectedAggregates } from '../support/expected-aggregates';
import { chunks, simulatedTraffic } from '../support/traffic';

/**
 * `pnpm start` on a machine with nothing installed: the embedded mode. The process runs in
 * a network namespace with only loopback up (`unshare -n`), so no Redis or PostgreSQL can
 * answer; the test talks to it from inside that namespace (`nsenter -n … curl`). It ingests
 * over HTTP, then every analytics route must answer with the numbers of the formulas run
 * over the published rows at the instant of the answer's computation (the oracle the
 * server mode's pipeline test holds the server mode to: test/support/expected-aggregates) —
 * after a restart too, and after a SIGKILL that leaves the embedded postmaster behind. Ctrl-C (SIGINT to
 * the process group, as a terminal sends it) must leave no process.
 */
const execFileAsync = promisify(execFile);
const ROOT = resolve(__dirname, '..', '..');
const USERS = ['emb-ana', 'emb-ben', 'emb-cho'];
const PORT = 3000; // inside the namespace: nothing else listens there

function namespacesWork(): boolean {
  try {
    execFileSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const isolated = process.getuid?.() === 0 && namespacesWork();
const describeIsolated = isolated ? describe : describe.skip;
if (!isolated) {
  // Creating a network namespace needs root (CI runs as root); without it this test would
  // not prove that nothing answers on the default addresses.
  process.stderr.write('test/embedded: skipped, needs root and unshare -n\n');
}

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const dataDir = mkdtempSync(join(tmpdir(), 'embedded-start-'));
chmodSync(dataDir, 0o755); // PostgreSQL runs as the `postgres` user when we are root
const runs: Run[] = [];

/** The environment of a person's shell on a machine with nothing installed (no server configured). */
function bareEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_HOST', 'REDIS_PORT', 'RUNTIME_MODE', 'JEST_WORKER_ID']) delete env[name];
  return env;
}

function start(): Run {
  const env = bareEnv();
  Object.assign(env, {
    NODE_ENV: 'development',
    PORT: String(PORT),
    API_KEYS: API_KEYS_ENV,
    EMBEDDED_DATA_DIR: dataDir,
    WORKER_PROCESSES: '1',
    RECOMPUTE_DEBOUNCE_MS: '20',
    LOG_LEVEL: 'info',
  });
  // detached: a process group of its own, so a SIGINT to the group is what Ctrl-C at a terminal does.
  const child = spawn('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec pnpm start'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })));
  const run = { child, output: () => output, exited };
  runs.push(run);
  return run;
}

/** An HTTP request from inside the run's network namespace. */
async function http(run: Run, method: 'GET' | 'POST', path: string, body?: unknown, key = method === 'POST' ? KEYS.ingest : KEYS.read): Promise<{ status: number; body: any }> {
  const args = ['-t', String(run.child.pid), '-n', 'curl', '-s', '-m', '10', '-X', method, '-w', '\n%{http_code}', '-H', `Authorization: Bearer ${key}`];
  if (body !== undefined) args.push('-H', 'Content-Type: application/json', '--data-binary', '@-');
  args.push(`http://127.0.0.1:${PORT}${path}`);
  const child = execFileAsync('nsenter', args, { maxBuffer: 64 * 1024 * 1024 });
  if (body !== undefined) {
    child.child.stdin!.end(JSON.stringify(body));
  }
  const { stdout } = await child.catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '\n0' }));
  const cut = stdout.lastIndexOf('\n');
  const text = stdout.slice(0, cut);
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: Number(stdout.slice(cut + 1)), body: parsed };
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, run?: Run): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${run ? `\n--- output ---\n${run.output().slice(-4000)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function ready(run: Run): Promise<{ status: string; mode?: string; absent?: string[] }> {
  return waitFor('/health/ready = 200', async () => {
    if (run.child.exitCode !== null) throw new Error(`pnpm start exited early:\n${run.output().slice(-4000)}`);
    const res = await http(run, 'GET', '/health/ready');
    return res.status === 200 ? res.body : undefined;
  }, 180_000, run);
}

/** Whether a process runs: it answers signal 0 and is not a zombie (exited, not reaped yet; pid 1 here reaps late). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false; // gone (between the two calls, too)
  }
}

/**
 * Every live process of the run: its process group, and the embedded PostgreSQL (its own
 * group, its data folder). Zombies are not counted: they have exited, and one whose parent
 * exited first (pnpm's own helpers) stays a zombie here, where pid 1 does not reap.
 */
function processesOf(run: Run): string[] {
  const lines = execFileSync('ps', ['-eo', 'pid=,pgid=,stat=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => !/^\s*\d+\s+\d+\s+Z/.test(line));
  const postmasterPid = existsSync(join(dataDir, 'postgres', 'postmaster.pid')) ? Number(readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]) : -1;
  return lines.filter((line) => {
    const [pid, pgid] = line.trim().split(/\s+/).map(Number);
    return pgid === run.child.pid || pid === postmasterPid || line.includes(dataDir);
  });
}

async function stop(run: Run, signal: 'SIGINT' | 'SIGKILL'): Promise<void> {
  const outputEnded = new Promise((done) => run.child.once('close', done));
  process.kill(-run.child.pid!, signal);
  await run.exited;
  // 'exit' can come before the last output is read; a process still holding the pipe must not hang the test.
  await Promise.race([outputEnded, new Promise((r) => setTimeout(r, 5_000))]);
}

/** JSON with sorted keys: the summary table stores jsonb, whose key order is not the computation's. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

const ROUTES = USERS.flatMap((userId) =>
  STORED_AGGREGATE_KEYS.map(({ aggregate, period }) => ({ userId, aggregate, period, path: `/api/analytics/${aggregate}?userId=${userId}${period === NO_PERIOD ? '' : `&period=${period}`}` })),
);

describeIsolated('pnpm start with nothing installed (embedded mode)', () => {
  const traffic = simulatedTraffic(USERS, { days: 40, seed: 14, now: new Date(Date.now() - 60_000) });

  /** What the server mode answers for `route`, computed at `computedAt`. */
  function expected(route: (typeof ROUTES)[number], computedAt: string): unknown {
    const entry = expectedAggregates(route.userId, traffic, new Date(computedAt)).entries.find((e) => e.aggregate === route.aggregate && e.period === route.period);
    return JSON.parse(JSON.stringify(entry?.data ?? null));
  }

  /** Every route of every user, as the embedded run answers it, until it equals the server mode's. */
  async function expectServerNumbers(run: Run): Promise<void> {
    let lastWrong: string[] = [];
    const differing = await waitFor(
      'the embedded answers to equal the server mode',
      async () => {
        const wrong: string[] = [];
        for (const route of ROUTES) {
          const res = await http(run, 'GET', route.path);
          const got = canonical(res.body?.data);
          const want = res.status === 200 ? canonical(expected(route, res.body.meta.computedAt)) : '';
          if (res.status !== 200 || got !== want) wrong.push(`${route.path} → ${res.status}\n  got  ${got?.slice(0, 600)}\n  want ${want?.slice(0, 600)}`);
        }
        lastWrong = wrong;
        return wrong.length === 0 ? wrong : undefined;
      },
      120_000,
      run,
    ).catch(() => [`${lastWrong.length} of ${ROUTES.length} routes differ`, ...lastWrong.slice(0, 3), run.output().slice(-3000)]);
    expect(differing).toEqual([]);
  }

  afterAll(async () => {
    for (const run of runs) if (run.child.exitCode === null && run.child.signalCode === null) await stop(run, 'SIGKILL').catch(() => undefined);
    // A postmaster a failed test left behind.
    const pidFile = join(dataDir, 'postgres', 'postmaster.pid');
    if (existsSync(pidFile)) {
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8').split('\n')[0]), 'SIGINT');
      } catch {
        // gone
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts embedded, ingests over HTTP (pnpm simulate with no flag too), and answers every route with the server mode’s numbers; survives Ctrl-C, restart and SIGKILL', async () => {
    // 1. First run: creates the cluster.
    const first = start();
    const health = await ready(first);
    expect(health).toMatchObject({ status: 'ok', mode: 'embedded', absent: expect.arrayContaining(['redis']) });
    expect(first.output()).toMatch(/EMBEDDED MODE/);
    for (const batch of chunks(traffic.events, 400)) {
      const res = await http(first, 'POST', '/api/events', { events: batch });
      expect(res.status).toBe(202);
    }
    expect((await http(first, 'POST', '/api/sessions', { sessions: traffic.sessions })).status).toBe(202);
    await expectServerNumbers(first);
    // Operators: what is absent is reported, nothing fails.
    const stats = await http(first, 'GET', '/api/admin/cache/stats', undefined, KEYS.admin);
    expect(stats).toMatchObject({ status: 200, body: { type: 'HYBRID_CACHE', redisHealthy: false, mode: 'embedded', absent: expect.arrayContaining(['l2']) } });
    expect((await http(first, 'GET', '/admin/queues/api/queues', undefined, KEYS.admin)).status).toBe(200);
    const metrics = await http(first, 'GET', '/metrics', undefined, KEYS.admin);
    expect(metrics.status).toBe(200);
    expect(String(metrics.body)).toMatch(/^queue_jobs\{queue="behavioral-event",state="completed"\} [1-9]/m);

    // `pnpm simulate` with no flag, beside it: it finds the embedded API and sends over HTTP
    // (with the ingest key of API_KEYS in its environment), and what it sent becomes visible.
    const simulated = await execFileAsync('nsenter', ['-t', String(first.child.pid), '-n', 'pnpm', '--silent', 'simulate', '--', '--duration', '2', '--rate', '40', '--users', '4', '--seed', '3', '--json'], {
      cwd: ROOT,
      env: { ...bareEnv(), NODE_ENV: 'development', PORT: String(PORT), API_KEYS: API_KEYS_ENV },
    });
    expect(simulated.stderr.split('\n')[0]).toBe(`simulate: embedded mode (the API at http://127.0.0.1:${PORT} runs embedded (no Redis)): POST http://127.0.0.1:${PORT}/api/events and /api/sessions, a key from API_KEYS`);
    const summary = JSON.parse(simulated.stdout) as { via: string; mode: string; sent: { events: number; sessions: number }; notSent: { events: number; sessions: number } };
    expect(summary).toMatchObject({ via: 'http', mode: 'embedded', notSent: { events: 0, sessions: 0 } });
    expect(summary.sent.events).toBeGreaterThan(0);
    await waitFor('the simulated events to be visible', async () => {
      const recent = await http(first, 'GET', '/api/users/recent?limit=100');
      const simulatedUsers = (recent.body?.data?.users ?? []).map((u: { userId: string }) => u.userId).filter((id: string) => !USERS.includes(id));
      let events = 0;
      let sessions = 0;
      for (const userId of simulatedUsers) {
        const totals = (await http(first, 'GET', `/api/analytics/behavioral-insights/dashboard?userId=${userId}`)).body?.data?.totals;
        events += totals?.events ?? 0;
        sessions += totals?.sessions ?? 0;
      }
      return events === summary.sent.events && sessions === summary.sent.sessions ? true : undefined;
    }, 60_000, first);

    // 2. Ctrl-C: everything stops, nothing is left.
    await stop(first, 'SIGINT');
    expect(processesOf(first)).toEqual([]);
    // …in order: PostgreSQL stops after every connection to it is closed, so no client sees it go.
    expect(first.output()).not.toMatch(/terminating connection|shutdown step failed|shutdown deadline/);

    // 3. Restart on the same data: the same numbers.
    const second = start();
    await ready(second);
    await expectServerNumbers(second);

    // 4. SIGKILL of everything in its group: the postmaster (its own group) survives it…
    await stop(second, 'SIGKILL');
    const leftover = Number(readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
    expect(running(leftover)).toBe(true);

    // 5. …and the next start recovers it: same numbers, then Ctrl-C leaves nothing.
    const third = start();
    await ready(third);
    expect(third.output()).toMatch(/left running by a killed run/);
    await expectServerNumbers(third);
    await stop(third, 'SIGINT');
    await waitFor('no process left', async () => (processesOf(third).length === 0 ? true : undefined), 10_000);
    expect(processesOf(third)).toEqual([]);
    expect(running(leftover)).toBe(false);
  }, 600_000);
});
