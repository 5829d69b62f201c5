/**
 * `pnpm soak -- [--duration 600] [--rate 500] [--users 1000] [--interval 10] [--warmup SECONDS]`
 *
 * Boots the all-in-one system in this process (API + workers + scheduler, as `pnpm start`)
 * on a database and key prefixes of its own, publishes one session for every user (so the
 * per-user cache entries are all there before memory is judged), streams simulated study traffic through the
 * typed publisher for `--duration` seconds, and every `--interval` seconds prints
 * throughput, lag (queue depth, age of the oldest waiting job), RSS and heap. At the end it
 * says whether memory stayed flat after the warm-up (within 10 %) and exits 1 if not.
 * Not part of CI: it runs for minutes.
 */
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { redisQueueBackend } from '@shared/queues/queue-backend';
import { Cluster } from 'ioredis';
import pg from 'pg';
import type { EventPublisher } from '@shared/queues/event-publisher';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import type { RedisClient } from '@shared/redis/redis-connection';
import { loadConfig } from '@shared/config/config';
import { serverInfra } from '@shared/runtime/system';
import { bootApi, type ApiProcess } from '../services/api/src/main';
import { startWorkerRuntime, workerDepsOf } from '../workers/src/worker-runtime';
import { intFlag, numberFlag, parseFlags } from './cli/cli-flags';
import { count, decimal, perSecond } from './cli/format';
import { EXIT, runCli } from './cli/run-cli';
import { BatchSender } from './simulation/batch-sender';
import { publisherDelivery } from './simulation/delivery';
import { QueueMonitor, type QueueDepth } from './simulation/queue-monitor';
import { runSimulation } from './simulation/simulation';
import { createStudent, liveSession, seededRandom } from './simulation/study-app';
import { StudyTraffic } from './simulation/study-traffic';

const USAGE = `Usage: pnpm soak -- [--duration SECONDS] [--rate N] [--users N] [--interval SECONDS] [--warmup SECONDS]

  --duration   how long to stream events (default 600)
  --rate       messages (events + session records) per second (default 500)
  --users      simulated students (default 1000)
  --interval   seconds between report lines (default 10)
  --warmup     seconds excluded from the memory verdict (default 20 % of the duration, 30–120)

Uses DATABASE_URL's server (a database soak_<id> it creates and drops) and REDIS_URL /
REDIS_CLUSTER_NODES (prefixes soak<id>, removed at the end).`;

/** Memory may grow by at most this share between the start and the end of the measured window. */
const MAX_GROWTH = 0.1;

interface SoakOptions {
  durationS: number;
  rate: number;
  users: number;
  intervalS: number;
  warmupS: number;
}

function parseSoakFlags(args: string[]): SoakOptions {
  const flags = parseFlags(args, { duration: { type: 'string' }, rate: { type: 'string' }, users: { type: 'string' }, interval: { type: 'string' }, warmup: { type: 'string' } });
  const durationS = numberFlag('duration', flags.duration, 600, { min: 10, max: 7 * 86_400 });
  return {
    durationS,
    rate: intFlag('rate', flags.rate, 500, { min: 1, max: 100_000 }),
    users: intFlag('users', flags.users, 1_000, { min: 1, max: 1_000_000 }),
    intervalS: numberFlag('interval', flags.interval, 10, { min: 1, max: 3_600 }),
    warmupS: numberFlag('warmup', flags.warmup, Math.min(120, Math.max(30, durationS * 0.2)), { min: 0, max: durationS }),
  };
}

/** A full GC before each memory sample, so heapUsed is live data rather than garbage not yet collected. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

interface Sample {
  atS: number;
  rssMb: number;
  heapMb: number;
}

const mb = (bytes: number) => bytes / 1024 ** 2;
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/**
 * Flat = the mean of the last quarter of the samples after warm-up is at most 10 % above the
 * mean of the first quarter, for RSS and for the heap after a full GC.
 */
function memoryVerdict(samples: Sample[], warmupS: number): { flat: boolean; lines: string[] } {
  const measured = samples.filter((s) => s.atS >= warmupS);
  if (measured.length < 4) return { flat: false, lines: [`memory: only ${measured.length} samples after the ${warmupS} s warm-up; run longer or lower --interval`] };
  const quarter = Math.max(1, Math.floor(measured.length / 4));
  const first = measured.slice(0, quarter);
  const last = measured.slice(-quarter);
  const lines: string[] = [];
  let flat = true;
  for (const key of ['rssMb', 'heapMb'] as const) {
    const start = mean(first.map((s) => s[key]));
    const end = mean(last.map((s) => s[key]));
    const growth = (end - start) / start;
    flat &&= growth <= MAX_GROWTH;
    lines.push(
      `${key === 'rssMb' ? 'RSS ' : 'heap'}: ${decimal(start)} MB → ${decimal(end)} MB (${growth >= 0 ? '+' : ''}${decimal(growth * 100)} %, limit +${MAX_GROWTH * 100} %, min ${decimal(Math.min(...measured.map((s) => s[key])))} / max ${decimal(Math.max(...measured.map((s) => s[key])))})`,
    );
  }
  return { flat, lines };
}

/** Completed ingest jobs so far, from the pipeline's own counter. */
async function processedJobs(api: ApiProcess): Promise<number> {
  const metric = await api.infra.registry.getSingleMetric('pipeline_jobs_total')?.get();
  return (metric?.values ?? [])
    .filter((v) => v.labels.result === 'completed' && (v.labels.queue === QUEUE_NAMES.behavioralEvent || v.labels.queue === QUEUE_NAMES.sessionCompleted))
    .reduce((sum, v) => sum + v.value, 0);
}

function lagText(queues: QueueDepth[] | null): string {
  if (!queues) return 'queues unavailable';
  return queues.map((q) => `${q.name} ${count(q.depth)} (oldest ${decimal(q.lagMs / 1000)}s)`).join(', ');
}

/** Deletes the soak's keys (cache, rate limit) on every master. */
async function deleteKeys(redis: RedisClient, pattern: string): Promise<number> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  let deleted = 0;
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) deleted += await node.del(key);
    } while (cursor !== '0');
  }
  return deleted;
}

async function dropDatabase(databaseUrl: string): Promise<void> {
  const admin = new URL(databaseUrl);
  const name = decodeURIComponent(admin.pathname.slice(1));
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/**
 * One finished session for every user before the clock starts: the cache holds entries per
 * user (bounded), so memory grows with the users seen until all have been; a skewed stream
 * would take many minutes to reach the rare ones and pass that growth off as a leak.
 */
async function primeEveryUser(publisher: EventPublisher, userIds: string[]): Promise<number> {
  const random = seededRandom(2);
  const events: object[] = [];
  const sessions: object[] = [];
  for (const userId of userIds) {
    const activity = liveSession(random, createStudent(random, userId), new Date());
    events.push(...activity.events);
    sessions.push(...activity.sessions);
  }
  for (let i = 0; i < events.length; i += 500) await publisher.publishEvents(events.slice(i, i + 500));
  for (let i = 0; i < sessions.length; i += 500) await publisher.publishSessionCompleted(sessions.slice(i, i + 500));
  return events.length + sessions.length;
}

async function soak(args: string[]): Promise<number> {
  const options = parseSoakFlags(args);
  const id = randomBytes(4).toString('hex');
  const databaseUrl = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/analytics');
  databaseUrl.pathname = `/soak_${id}`;
  const clusterMode = Boolean(process.env.REDIS_CLUSTER_NODES);
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: databaseUrl.toString(),
    QUEUE_PREFIX: clusterMode ? `{soak${id}}` : `soak${id}`,
    CACHE_PREFIX: `soak${id}`,
    PORT: '0',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    API_KEYS: `ingest:${randomBytes(16).toString('hex')},read:${randomBytes(16).toString('hex')},admin:${randomBytes(16).toString('hex')}`,
  });
  console.log(`soak ${id}: ${options.durationS} s at ${count(options.rate)} messages/s, ${count(options.users)} users, report every ${options.intervalS} s, warm-up ${options.warmupS} s`);
  console.log(`database soak_${id}, prefixes ${config.queuePrefix} / ${config.cachePrefix}, pid ${process.pid}, node ${process.version}`);

  let api: ApiProcess | undefined;
  let monitor: QueueMonitor | undefined;
  let runtime: { close(): Promise<void> } | undefined;
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    api = await bootApi({ config, name: 'study-analytics-soak' });
    const started = api;
    runtime = await api.start('workers', 1, () => startWorkerRuntime(workerDepsOf(started), { scheduler: true }));
    const { publisher } = api;
    monitor = new QueueMonitor({ connection: serverInfra(api).producerRedis, prefix: api.config.queuePrefix, names: [QUEUE_NAMES.behavioralEvent, QUEUE_NAMES.sessionCompleted, QUEUE_NAMES.recompute] });
    const sender = new BatchSender(publisherDelivery(publisher), { maxInFlight: 4 });
    const traffic = new StudyTraffic({ seed: 1, users: options.users, userPrefix: 'soak-user' });

    const primeStarted = Date.now();
    const primed = await primeEveryUser(publisher, traffic.userIds);
    while ((await processedJobs(started)) < primed && Date.now() - primeStarted < 300_000 && !stop.signal.aborted) await new Promise((r) => setTimeout(r, 250));
    console.log(`primed every user: ${count(primed)} messages processed in ${decimal((Date.now() - primeStarted) / 1000)} s; streaming now`);

    const t0 = Date.now();
    const samples: Sample[] = [];
    let previous = { at: t0, sent: 0, processed: await processedJobs(started) };
    let maxLagMs = 0;
    const sample = async (label = '') => {
      collectGarbage();
      const memory = process.memoryUsage();
      const [processed, queues] = [await processedJobs(started), await monitor!.snapshot()];
      const at = Date.now();
      const stats = sender.stats();
      const sent = stats.sent.events + stats.sent.sessions;
      const atS = (at - t0) / 1000;
      samples.push({ atS, rssMb: mb(memory.rss), heapMb: mb(memory.heapUsed) });
      maxLagMs = Math.max(maxLagMs, ...(queues ?? []).filter((q) => q.name !== QUEUE_NAMES.recompute).map((q) => q.lagMs));
      console.log(
        `[${Math.round(atS)}s${label}] published ${count(sent)} (${decimal(perSecond(sent - previous.sent, at - previous.at))}/s)` +
          ` processed ${count(processed - primed)} (${decimal(perSecond(processed - previous.processed, at - previous.at))}/s)` +
          ` | ${lagText(queues)} | rss ${decimal(mb(memory.rss))} MB heap ${decimal(mb(memory.heapUsed))} MB`,
      );
      previous = { at, sent, processed };
      return { sent, processed, queues };
    };
    let sampling = Promise.resolve();
    const timer = setInterval(() => {
      sampling = sampling.then(() => sample().then(() => undefined)).catch((error: Error) => console.error(`sample failed: ${error.message}`));
    }, options.intervalS * 1000);

    const summary = await runSimulation(
      { rate: options.rate, durationMs: options.durationS * 1000, batchSize: 250, drainTimeoutMs: 60_000, maxBacklog: options.rate * 10 },
      { traffic, sender, monitor: null, progress: () => undefined, stop: stop.signal },
    );
    clearInterval(timer);
    await sampling;

    // Let the workers catch up (at most two minutes) before the last sample.
    const published = summary.sent.events + summary.sent.sessions;
    const expected = published + primed;
    const drainDeadline = Date.now() + 120_000;
    let last = await sample(' end of publishing');
    while (last.processed < expected && Date.now() < drainDeadline && !stop.signal.aborted) {
      await new Promise((r) => setTimeout(r, Math.min(options.intervalS * 1000, 5_000)));
      last = await sample(' draining');
    }

    const elapsedS = (Date.now() - t0) / 1000;
    const verdict = memoryVerdict(samples, options.warmupS);
    console.log('');
    console.log(`published ${count(published)} messages (${count(summary.sent.events)} events, ${count(summary.sent.sessions)} sessions) in ${decimal(summary.sendingSeconds)} s: ${decimal(perSecond(published, summary.sendingSeconds * 1000))}/s (target ${count(options.rate)}/s)`);
    console.log(`not sent ${count(summary.notSent.events + summary.notSent.sessions)}, retries ${count(summary.retries)}`);
    const processed = last.processed - primed;
    console.log(`processed ${count(processed)} of them (${decimal(perSecond(processed, elapsedS * 1000))}/s over ${decimal(elapsedS)} s); largest ingest lag ${decimal(maxLagMs / 1000)} s`);
    for (const line of verdict.lines) console.log(line);
    const caughtUp = last.processed >= expected;
    console.log(`memory ${verdict.flat ? 'stayed flat' : 'did NOT stay flat'} after the ${options.warmupS} s warm-up; workers ${caughtUp ? 'caught up' : 'did NOT catch up'}`);
    return verdict.flat && caughtUp && summary.notSent.events + summary.notSent.sessions === 0 ? EXIT.ok : EXIT.problem;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await monitor?.close();
    await runtime?.close(); // before the queues are emptied (closed once: the shutdown's call then returns at once)
    if (api) {
      const { config } = api;
      const infra = serverInfra(api);
      for (const name of Object.values(QUEUE_NAMES)) {
        const queue = redisQueueBackend(infra.producerRedis, config.queuePrefix).queue(name);
        await queue.obliterate({ force: true }).catch(() => undefined);
        await queue.close();
      }
      await deleteKeys(infra.redis, `${config.cachePrefix}:*`).catch(() => 0);
      await api.shutdown.close('soak finished');
    }
    await dropDatabase(config.database.url).catch((error: Error) => console.error(`could not drop soak_${id}: ${error.message}`));
  }
}

void runCli({ name: 'soak', usage: USAGE, main: soak });
