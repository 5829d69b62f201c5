/**
 * `pnpm bench -- --quick --embedded`: what the embedded mode of `pnpm start` sustains on
 * this machine. Starts `scripts/start.ts --embedded` (its own PostgreSQL in a temporary
 * folder, BullMQ on PostgreSQL, L1 only) as a child process, then measures:
 * - ingest end to end: events POSTed over HTTP in batches until every one is stored
 *   (HTTP → queue on PostgreSQL → ingest worker → raw rows), events per second;
 * - freshness: the time from the last batch's 202 until its users' aggregates are
 *   recomputed (the last recompute job done);
 * - reads: one analytics route under autocannon (L1 hits), requests per second.
 * Prints the figures and writes bench/results/embedded-<date>.json. Stops everything.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { eventAt } from './lib/event-factory';
import { runLoad } from './lib/http-load';
import { describeMachine } from './lib/machine';
import { seededRandom } from './lib/zipf';

const KEYS = { ingest: 'bench-ingest-key-0123456789', read: 'bench-read-key-0123456789ab' };

export async function runEmbeddedBench(options: { quick: boolean; log: (line: string) => void }): Promise<number> {
  const { log } = options;
  const events = options.quick ? 5_000 : 50_000;
  const users = options.quick ? 100 : 500;
  const batch = 200;
  const concurrency = 8;
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-embedded-'));
  chmodSync(dataDir, 0o755);
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development', PORT: '0', EMBEDDED_DATA_DIR: dataDir, API_KEYS: `ingest:${KEYS.ingest},read:${KEYS.read}`, LOG_LEVEL: 'info' };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'REDIS_CLUSTER_NODES']) delete env[name];
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(__dirname, '..', 'scripts', 'start.ts'), '--embedded'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((done) => child.once('exit', done));
  let port = 0;
  let postgresUrl = '';
  let buffered = '';
  const up = new Promise<void>((done, fail) => {
    child.once('exit', () => fail(new Error('pnpm start --embedded exited before it was up')));
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.includes('"msg":"API listening"')) port = (JSON.parse(line) as { port: number }).port;
        if (line.includes('EMBEDDED MODE')) postgresUrl = `port ${(JSON.parse(line) as { postgresPort: number }).postgresPort}`;
        if (line.includes('"msg":"workers started"')) done();
      }
    });
  });
  try {
    await up;
    log(`embedded system up on :${port} (PostgreSQL ${postgresUrl}; WORKER_PROCESSES ${process.env.WORKER_PROCESSES ?? 'default'}, WORKER_CONCURRENCY ${process.env.WORKER_CONCURRENCY ?? 'default'})`);
    const base = `http://127.0.0.1:${port}`;
    const credentials = JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8')) as { password: string };
    const pgPort = Number(postgresUrl.split(' ')[1]);
    const db = new Client({ connectionString: `postgresql://postgres:${encodeURIComponent(credentials.password)}@127.0.0.1:${pgPort}/analytics` });
    await db.connect();

    const random = seededRandom(6);
    const now = Date.now();
    const all = Array.from({ length: events }, (_, i) => eventAt(random, `bu${i % users}`, new Date(now - 60_000 - Math.floor(random() * 30 * 86_400_000))));
    const batches = Array.from({ length: Math.ceil(events / batch) }, (_, i) => all.slice(i * batch, (i + 1) * batch));
    const post = async (body: unknown) => {
      const res = await fetch(`${base}/api/events`, { method: 'POST', headers: { Authorization: `Bearer ${KEYS.ingest}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      if (res.status !== 202) throw new Error(`POST /api/events → ${res.status}: ${(await res.text()).slice(0, 200)}`);
    };
    const started = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < batches.length) await post({ events: batches[next++]! });
    }));
    const accepted = performance.now();
    const count = async (sql: string) => Number((await db.query(sql)).rows[0].n);
    const stored = () => count('SELECT count(*)::int AS n FROM behavioral_events');
    const pendingRecomputes = () => count(`SELECT count(*)::int AS n FROM bullmq.job WHERE queue = 'recompute' AND state IN ('waiting', 'active', 'delayed')`);
    /** Polls `value` until `done`, logging it every 5 s; gives up after 5 minutes. */
    const waitUntil = async (what: string, value: () => Promise<number>, done: (n: number) => boolean) => {
      let lastLog = performance.now();
      for (let n = await value(); !done(n); n = await value()) {
        if (performance.now() - started > 300_000) throw new Error(`gave up waiting for ${what} (at ${n})`);
        if (performance.now() - lastLog > 5_000) {
          log(`${what}: ${n}`);
          lastLog = performance.now();
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await waitUntil('events stored', stored, (n) => n >= events);
    const allStored = performance.now();
    await waitUntil('recomputes pending', pendingRecomputes, (n) => n === 0);
    const recomputed = performance.now();
    await db.end();

    const reads = await runLoad({ url: base, connections: 20, durationSec: options.quick ? 5 : 15, headers: { Authorization: `Bearer ${KEYS.read}` }, path: '/api/analytics/patterns?userId=bu1' });
    const result = {
      mode: 'embedded',
      quick: options.quick,
      machine: describeMachine(),
      events,
      users,
      batchSize: batch,
      acceptEventsPerSecond: Math.round(events / ((accepted - started) / 1000)),
      ingestEventsPerSecond: Math.round(events / ((allStored - started) / 1000)),
      allRecomputedAfterMs: Math.round(recomputed - started),
      lastRecomputeAfterAcceptMs: Math.round(recomputed - accepted),
      reads: { rps: Math.round(reads.rps), p50Ms: reads.p50Ms, p99Ms: reads.p99Ms, non2xx: reads.non2xx, errors: reads.errors },
    };
    log(`ingest: ${result.acceptEventsPerSecond} events/s accepted (202), ${result.ingestEventsPerSecond} events/s stored end to end`);
    log(`recompute: every user's aggregates fresh ${result.lastRecomputeAfterAcceptMs} ms after the last batch was accepted`);
    log(`reads (L1): ${result.reads.rps} req/s, p50 ${result.reads.p50Ms} ms, p99 ${result.reads.p99Ms} ms`);
    const dir = resolve(__dirname, 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `embedded-${new Date().toISOString().slice(0, 10)}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    log(`wrote ${file.slice(resolve(__dirname, '..').length + 1)}`);
    return 0;
  } finally {
    child.kill('SIGINT');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}
