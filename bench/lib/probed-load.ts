import { DASHBOARD_AGGREGATE } from '@shared/aggregates/registry';
import { BENCH_KEYS, type BenchSystem } from './bench-system';
import type { BehavioralEvent } from '@shared/contracts/behavioral-event';
import { eventAt } from './event-factory';
import { requestJson } from './http-load';
import type { Progress } from './progress';
import { recomputesDone } from './pipeline-metrics';
import type { LoadWindow } from './results';
import { round, summarize } from './stats';
import { seededRandom, type Random } from './zipf';

/**
 * The freshness harness: a steady rate of events from background users through the typed
 * publisher (a batch every 10 ms). Twenty times a second one of those events goes to a
 * probe user, who gets no other events: from just before its publish, the bench polls that
 * user's dashboard through the API until `totals.events` counts it. The latency includes
 * the recompute debounce and up to one poll interval. A probe not visible after `giveUpMs`
 * is counted at that value, so an overloaded pipeline shows as huge percentiles and a
 * backlog rather than a crash.
 *
 * The harness runs in the bench process, which also hosts the API it polls, so it is kept
 * light: polling starts only once the debounce has passed (the recompute cannot run
 * before), at most 10 probes poll at once (a probe slot is skipped when 10 are waiting),
 * and a probe older than 1 s polls every 100 ms instead of every 10 ms.
 */
const TICK_MS = 10;
const PROBES_PER_SEC = 20;
export const POLL_MS = 10;
const MAX_PROBES_IN_FLIGHT = 10;
const SLOW_POLL_AFTER_MS = 1_000;
const SLOW_POLL_MS = 100;
const PUBLISH_BATCH = 1_000;

export interface LoadRate {
  eventsPerSec: number;
  seconds: number;
  giveUpMs: number;
}

interface Dashboard {
  data: { totals: { events: number } };
}

/** What one window's probes found, filled in while it runs. */
interface ProbeTally {
  latencies: number[];
  notVisible: number;
  skipped: number;
  /** Probe users whose last event is not visible yet (they get no other event meanwhile). */
  busy: Set<string>;
  pending: Promise<void>[];
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Who gets the events and what they are: background users, probe users, and the event for a user at an instant. */
export interface LoadShape {
  background: string[];
  probes: string[];
  eventFor?: (random: Random, userId: string, at: Date) => BehavioralEvent;
}

export class ProbedLoad {
  private readonly random: Random;
  private readonly backgroundUsers: string[];
  private readonly eventFor: (random: Random, userId: string, at: Date) => BehavioralEvent;
  /** Events stored so far for each probe user: what its dashboard must count next. */
  private readonly probeEvents = new Map<string, number>();

  constructor(
    private readonly system: BenchSystem,
    users: LoadShape,
    seed: number,
  ) {
    this.random = seededRandom(seed);
    this.backgroundUsers = users.background;
    this.eventFor = users.eventFor ?? eventAt;
    for (const userId of users.probes) this.probeEvents.set(userId, 0);
  }

  get users(): number {
    return this.backgroundUsers.length + this.probeEvents.size;
  }

  /**
   * One event for every user, applied, and each probe's dashboard read once (the caches
   * warm, the API's code paths jitted): what it counts then is where the probe starts.
   */
  async warmUp(): Promise<void> {
    const now = new Date();
    const events = [...this.probeEvents.keys(), ...this.backgroundUsers].map((userId) => this.eventFor(this.random, userId, now));
    for (let i = 0; i < events.length; i += PUBLISH_BATCH) await this.system.publisher.publishEvents(events.slice(i, i + PUBLISH_BATCH));
    await this.system.waitForIdle();
    await Promise.all([...this.probeEvents.keys()].map(async (userId) => this.probeEvents.set(userId, await this.eventsVisible(userId))));
  }

  /** Publishes `rate` for its duration, waits for every probe, then for the pipeline to drain. */
  async run(rate: LoadRate, progress: Progress): Promise<LoadWindow> {
    const tally: ProbeTally = { latencies: [], notVisible: 0, skipped: 0, busy: new Set(), pending: [] };
    const recomputesAtStart = await recomputesDone(this.system);
    const start = performance.now();
    const { published, publishes } = await this.publishSteadily(rate, tally, progress);
    const elapsed = (performance.now() - start) / 1_000;
    const recomputes = (await recomputesDone(this.system)) - recomputesAtStart;
    await Promise.all(publishes);
    const backlogAtEnd = await this.system.backlog();
    await Promise.all(tally.pending);
    await this.system.waitForIdle();

    const stats = summarize(tally.latencies);
    return {
      eventsPerSec: rate.eventsPerSec,
      achievedEventsPerSec: round(published / elapsed, 0),
      seconds: round(elapsed, 1),
      probes: tally.latencies.length,
      p50Ms: round(stats.p50, 1),
      p95Ms: round(stats.p95, 1),
      p99Ms: round(stats.p99, 1),
      maxMs: round(stats.max, 1),
      notVisible: tally.notVisible,
      skippedProbes: tally.skipped,
      backlogAtEnd,
      recomputesPerSec: round(recomputes / elapsed, 0),
    };
  }

  /** A batch every TICK_MS on a fixed schedule (late ticks catch up); every few ticks, the batch's first event goes to a free probe user. */
  private async publishSteadily(rate: LoadRate, tally: ProbeTally, progress: Progress): Promise<{ published: number; publishes: Promise<unknown>[] }> {
    // Events due by the end of a tick, so that a rate that is not a whole number of events per tick is kept on average (225/s: 2 or 3 a tick).
    const dueBy = (tick: number) => Math.max(tick + 1, Math.round((rate.eventsPerSec * (tick + 1) * TICK_MS) / 1_000));
    const probeEveryTicks = Math.round(1_000 / PROBES_PER_SEC / TICK_MS);
    const publishes: Promise<unknown>[] = [];
    const start = performance.now();
    let published = 0;
    for (let tick = 0; performance.now() - start < rate.seconds * 1_000; tick += 1) {
      const wait = start + tick * TICK_MS - performance.now();
      if (wait > 0) await pause(wait);
      const batch = Array.from({ length: dueBy(tick) - published }, () => this.eventFor(this.random, this.backgroundUsers[Math.floor(this.random() * this.backgroundUsers.length)]!, new Date()));
      const probeUser = tick % probeEveryTicks === 0 ? this.freeProbeUser(tally) : undefined;
      if (probeUser) batch[0] = this.eventFor(this.random, probeUser, new Date());
      const publishedAt = performance.now();
      const sent = this.system.publisher.publishEvents(batch);
      publishes.push(sent);
      if (probeUser) {
        const expected = this.probeEvents.get(probeUser)! + 1;
        this.probeEvents.set(probeUser, expected);
        tally.pending.push(sent.then(() => this.probe(probeUser, expected, publishedAt, rate.giveUpMs, tally)));
      }
      published += batch.length;
      if (tick > 0 && tick % (5_000 / TICK_MS) === 0) progress(`${((performance.now() - start) / 1_000).toFixed(0)} s: ${published.toLocaleString('en')} events, ${tally.latencies.length} probes seen`);
    }
    return { published, publishes };
  }

  /** A probe user with no event in flight, taken for a new probe; none (a skipped slot) when 10 are waiting. */
  private freeProbeUser(tally: ProbeTally): string | undefined {
    const free = tally.busy.size < MAX_PROBES_IN_FLIGHT ? [...this.probeEvents.keys()].find((u) => !tally.busy.has(u)) : undefined;
    if (free) tally.busy.add(free);
    else tally.skipped += 1;
    return free;
  }

  private async probe(userId: string, expected: number, publishedAt: number, giveUpMs: number, tally: ProbeTally): Promise<void> {
    const age = () => performance.now() - publishedAt;
    try {
      await pause(this.system.main.api.config.recomputeDebounceMs - age());
      for (;;) {
        if ((await this.eventsVisible(userId)) >= expected) return void tally.latencies.push(age());
        if (age() > giveUpMs) {
          // Counted at the give-up time (a lower bound), so an overloaded run reports huge percentiles instead of failing.
          tally.notVisible += 1;
          return void tally.latencies.push(age());
        }
        await pause(age() > SLOW_POLL_AFTER_MS ? SLOW_POLL_MS : POLL_MS);
      }
    } finally {
      tally.busy.delete(userId);
    }
  }

  private async eventsVisible(userId: string): Promise<number> {
    const url = `${this.system.main.baseUrl}/api/analytics/${DASHBOARD_AGGREGATE}?userId=${userId}`;
    return (await requestJson<Dashboard>(url, { key: BENCH_KEYS.read })).data.totals.events;
  }
}
