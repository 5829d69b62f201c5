import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { Queue } from 'bullmq';
import { redisQueueBackend } from '@shared/queues/queue-backend';
import { EventPublisher } from '@shared/queues/event-publisher';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import { freePort } from '../../scripts/dev/redis-server';
import { stopChild } from '../lib/child-process';
import { eventAt } from '../lib/event-factory';
import type { MemoryResult } from '../lib/results';
import type { ScenarioContext } from '../lib/scenario';
import { round } from '../lib/stats';
import { seededRandom } from '../lib/zipf';

/**
 * RSS of the all-in-one process (`scripts/start.ts`, what `pnpm start` runs) as a CHILD
 * process under its own queue and cache prefixes, read from its own /metrics
 * (process_resident_memory_bytes): before any event; after a warm-up of 10 % of the
 * events (at least two events per user, so that every user has been recomputed and L1 —
 * one entry per stored aggregate key, 15 today, so 60,000 for 4,000 users — has reached its 50,000-entry bound),
 * drained; at every further 10 % while it works; and at the end, drained. 4,000 users
 * (1,000 users and 10,000 events in quick mode). The bench publishes at saturation but
 * keeps at most 20,000 jobs waiting, as a well-behaved producer would.
 */
const MAX_WAITING = 20_000;

async function readMetrics(url: string): Promise<{ rss: number; heapUsed: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { rss: value('process_resident_memory_bytes'), heapUsed: value('nodejs_heap_size_used_bytes') };
}

/** The mean of three readings 500 ms apart: one reading lands anywhere on the GC sawtooth. */
async function metricsOf(url: string): Promise<{ rss: number; heapUsed: number }> {
  const readings = [];
  for (let i = 0; i < 3; i += 1) {
    if (i > 0) await new Promise((r) => setTimeout(r, 500));
    readings.push(await readMetrics(url));
  }
  return { rss: readings.reduce((s, r) => s + r.rss, 0) / 3, heapUsed: readings.reduce((s, r) => s + r.heapUsed, 0) / 3 };
}

async function waitForLive(url: string, child: { exitCode: number | null }, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the all-in-one process exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/health/live`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('the all-in-one process did not start within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function runMemory({ system, quick, progress, cleanup }: ScenarioContext): Promise<MemoryResult> {
  const total = quick ? 10_000 : 500_000;
  const USERS = quick ? 1_000 : 4_000;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const prefix = 'benchmem';
  progress(`starting the all-in-one process (scripts/start.ts) on port ${port}…`);
  const root = resolve(__dirname, '..', '..');
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(root, 'scripts/start.ts')], {
    cwd: root,
    env: { ...process.env, ...system.env, PORT: String(port), QUEUE_PREFIX: prefix, CACHE_PREFIX: prefix },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2_000)));
  const stop = () => stopChild(child, 30_000);
  cleanup.add('all-in-one child process', stop);
  try {
    await waitForLive(url, child);
  } catch (error) {
    throw new Error(`${(error as Error).message}: ${stderr.trim()}`);
  }

  const { infra } = system;
  const publisher = new EventPublisher({ connection: infra.producerRedis, prefix });
  const queues = redisQueueBackend(infra.producerRedis, prefix);
  const events = queues.queue(QUEUE_NAMES.behavioralEvent);
  const recompute = queues.queue(QUEUE_NAMES.recompute);
  const backlog = async (queue: Queue) => Object.values(await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized')).reduce((a, b) => a + b, 0);
  const drained = async () => {
    while ((await backlog(events)) + (await backlog(recompute)) > 0) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1_000));
  };
  const random = seededRandom(99);
  try {
    await new Promise((r) => setTimeout(r, 2_000));
    const before = await metricsOf(url);
    progress(`RSS before: ${(before.rss / 1024 ** 2).toFixed(0)} MB; publishing ${total.toLocaleString('en')} events to ${USERS.toLocaleString('en')} users…`);
    const samples: { events: number; rssMb: number }[] = [];
    const step = total / 10;
    const warmupEvents = Math.max(step, Math.ceil((2 * USERS) / step) * step);
    const start = performance.now();
    let published = 0;
    let warm = before;
    while (published < total) {
      while ((await backlog(events)) > MAX_WAITING) await new Promise((r) => setTimeout(r, 50));
      const batch = Array.from({ length: Math.min(1_000, total - published) }, () => eventAt(random, `mu${Math.floor(random() * USERS)}`, new Date()));
      await publisher.publishEvents(batch);
      published += batch.length;
      if (published % step === 0) {
        if (published === warmupEvents) await drained();
        const now = await metricsOf(url);
        if (published === warmupEvents) warm = now;
        samples.push({ events: published, rssMb: round(now.rss / 1024 ** 2, 1) });
        progress(`${published.toLocaleString('en')} events ${published === warmupEvents ? 'applied (end of warm-up)' : 'published'}: RSS ${(now.rss / 1024 ** 2).toFixed(0)} MB`);
      }
    }
    await drained();
    const after = await metricsOf(url);
    return {
      events: total,
      users: USERS,
      rssBeforeMb: round(before.rss / 1024 ** 2, 1),
      warmupEvents,
      rssAfterWarmupMb: round(warm.rss / 1024 ** 2, 1),
      rssAfterMb: round(after.rss / 1024 ** 2, 1),
      growthAfterWarmup: round(after.rss / warm.rss - 1, 4),
      heapUsedAfterMb: round(after.heapUsed / 1024 ** 2, 1),
      samples,
      seconds: round((performance.now() - start) / 1_000, 1),
    };
  } finally {
    await publisher.close();
    await events.close();
    await recompute.close();
    await stop();
  }
}
