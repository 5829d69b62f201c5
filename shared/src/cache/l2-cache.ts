import type { Registry } from 'prom-client';
import type { Logger } from '../logger/logger';
import type { RedisClient } from '../redis/redis-connection';
import { l2MetricsFor, type L2Metrics } from './cache-metrics';
import { CircuitBreaker } from './circuit-breaker';
import type { CacheEntry } from './l1-cache';
import type { CacheKeySpace } from './key-space';

/**
 * The Redis tier, and the ONE place where L2 failures are handled: every operation goes
 * through `attempt`, which skips Redis while it is down or the breaker is open, counts a
 * fallback, and never throws to the caller.
 *
 * Invalidation costs O(entries of that user), whatever the size of the keyspace: each user
 * has a tag set of its entry keys and a generation counter, all under one hash tag.
 * - read:  MGET entry, generation (one round trip);
 * - fill:  set the entry only if the generation is still the one read (a load that raced
 *          with an invalidation or a write-through never puts old data back);
 * - invalidate / write-through: one Lua script per user bumps the generation, deletes the
 *          tagged entries and (write-through) sets the fresh ones; the bus message naming
 *          the users goes out after the scripts, so it follows the change.
 */
const GENERATION_TTL_MS = 7 * 24 * 3_600_000;

const FILL = `
local gen = redis.call('GET', KEYS[3]) or '0'
if gen ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('SADD', KEYS[2], KEYS[1])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
return 1`;

const INVALIDATE = `
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ${GENERATION_TTL_MS})
local members = redis.call('SMEMBERS', KEYS[1])
for _, member in ipairs(members) do redis.call('DEL', member) end
redis.call('DEL', KEYS[1])
return #members`;

const WRITE_THROUGH = `
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ${GENERATION_TTL_MS})
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do redis.call('DEL', member) end
redis.call('DEL', KEYS[1])
local longest = 0
for i = 3, #KEYS do
  local px = tonumber(ARGV[(i - 3) * 2 + 2])
  redis.call('SET', KEYS[i], ARGV[(i - 3) * 2 + 1], 'PX', px)
  redis.call('SADD', KEYS[1], KEYS[i])
  if px > longest then longest = px end
end
if longest > 0 then redis.call('PEXPIRE', KEYS[1], longest) end
if ARGV[#ARGV - 1] ~= '' then redis.call('PUBLISH', ARGV[#ARGV - 1], ARGV[#ARGV]) end
return #KEYS - 2`;

export const UNAVAILABLE = Symbol('l2-unavailable');

/**
 * The write-through script as a named command (EVALSHA): a recompute batch sends it once
 * per user, and its text is then sent and hashed once per connection instead of each time.
 */
const WRITE_THROUGH_COMMAND = 'saWriteThrough';
type WithWriteThrough = { [WRITE_THROUGH_COMMAND](...args: (string | number)[]): Promise<unknown> };
const withCommands = new WeakSet<object>();
/** The client with the command defined (a pipeline gets the client's commands when it is created, so define first). */
function withWriteThrough(redis: RedisClient): RedisClient & WithWriteThrough {
  if (!withCommands.has(redis)) {
    redis.defineCommand(WRITE_THROUGH_COMMAND, { lua: WRITE_THROUGH });
    withCommands.add(redis);
  }
  return redis as RedisClient & WithWriteThrough;
}

/** An invalidation-bus message to publish from inside an L2 script. */
export interface BusMessage {
  channel: string;
  message: string;
}

export type L2Read = { entry: CacheEntry | null; generation: string } | typeof UNAVAILABLE;

/** Entries travel as one JSON text: {"e": expiresAt, "s": staleUntil, "v": value}. */
export function encodeEntry(valueJson: string, expiresAt: number, staleUntil: number): string {
  return `{"e":${expiresAt},"s":${staleUntil},"v":${valueJson}}`;
}

const ENTRY_HEAD = /^\{"e":(\d+),"s":(\d+),"v":/;

/**
 * An entry's times and its value's JSON text, without parsing the value: the text is
 * served or prepared as it is (see L1Entry). Text in any other layout is parsed.
 */
export function decodeEntry(payload: string): CacheEntry {
  const head = ENTRY_HEAD.exec(payload);
  if (head && payload.endsWith('}')) {
    return { json: payload.slice(head[0].length, -1), expiresAt: Number(head[1]), staleUntil: Number(head[2]) };
  }
  const parsed = JSON.parse(payload) as { e: number; s: number; v: unknown };
  return { json: JSON.stringify(parsed.v), expiresAt: parsed.e, staleUntil: parsed.s };
}

/**
 * What the read side of the cache (ReadCache) needs of its Redis tier; L2Cache is the one
 * implementation, an in-memory fake the cache core's unit tests. Every operation resolves
 * (UNAVAILABLE or false when Redis could not do it), never rejects.
 */
export interface L2Reads {
  read(key: string, userId: string): Promise<L2Read>;
  /** Sets the entry only if the user's generation is still `generation`. */
  fill(key: string, userId: string, generation: string, payload: string, pxMs: number): Promise<boolean>;
  isHealthy(): boolean;
  readonly fallbackCount: number;
}

/** The Redis tier: the reads and fills of ReadCache, the write-through and invalidations of CacheWriter. */
export class L2Cache implements L2Reads {
  private readonly breaker: CircuitBreaker;
  private readonly metrics: L2Metrics;
  private lastWarnAt = 0;
  private readonly latencyByOp = new Map<string, { observe(seconds: number): void }>();
  /** L2 operations skipped or failed: the origin report's `fallbackCount`. */
  fallbackCount = 0;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: CacheKeySpace,
    private readonly logger?: Logger,
    registry?: Registry,
    breaker?: CircuitBreaker,
  ) {
    this.metrics = l2MetricsFor(registry);
    this.breaker = breaker ?? new CircuitBreaker();
  }

  isHealthy(): boolean {
    return this.redis.status === 'ready' && !this.breaker.isOpen();
  }

  async read(key: string, userId: string): Promise<L2Read> {
    return this.attempt('get', async () => {
      const [payload, generation] = (await this.redis.mget(key, this.keys.generationKey(userId))) as (string | null)[];
      return { entry: payload ? decodeEntry(payload) : null, generation: generation ?? '0' };
    });
  }

  async fill(key: string, userId: string, generation: string, payload: string, pxMs: number): Promise<boolean> {
    const result = await this.attempt('fill', () => this.redis.eval(FILL, 3, key, this.keys.tagKey(userId), this.keys.generationKey(userId), generation, payload, pxMs));
    return result === 1;
  }

  /** Bumps the user's generation (a racing fill is refused) and deletes its entries; resolves with how many. */
  async invalidate(userId: string): Promise<number | typeof UNAVAILABLE> {
    return this.attempt('invalidate', async () => Number(await this.redis.eval(INVALIDATE, 2, this.keys.tagKey(userId), this.keys.generationKey(userId))));
  }

  /**
   * The write-through of a batch of users: each user's script without its own message,
   * then ONE bus message naming them all, which Redis runs after the scripts. Standalone:
   * one pipeline, one round trip. Cluster: each user's keys live in their own slot, so the
   * scripts go out together and ioredis routes each to its node. Resolves with the users
   * whose entries Redis took.
   */
  async writeThroughMany(users: { userId: string; entries: { key: string; payload: string; pxMs: number }[] }[], announce: (userIds: string[]) => BusMessage | undefined): Promise<Set<string>> {
    const written = new Set<string>();
    if (users.length === 0) return written;
    const argsOf = (user: (typeof users)[number]) => [
      2 + user.entries.length,
      this.keys.tagKey(user.userId),
      this.keys.generationKey(user.userId),
      ...user.entries.map((e) => e.key),
      ...user.entries.flatMap((e) => [e.payload, String(e.pxMs)]),
      '',
      '',
    ] as const;
    // Naming a user whose script failed is harmless: the message only drops L1 copies.
    const message = announce(users.map((u) => u.userId));
    const result = await this.attempt('write_through', async () => {
      if (this.redis.isCluster) {
        // EVAL, not the defined command (EVALSHA): on an auto-pipelined cluster connection
        // the defined command failed for every user of a batch (the cluster test), EVAL does not.
        const settled = await Promise.allSettled(users.map((user) => this.redis.eval(WRITE_THROUGH, ...argsOf(user))));
        settled.forEach((outcome, i) => outcome.status === 'fulfilled' && written.add(users[i]!.userId));
        if (message) await this.redis.publish(message.channel, message.message);
      } else {
        const pipeline = withWriteThrough(this.redis).pipeline() as ReturnType<RedisClient['pipeline']> & WithWriteThrough;
        for (const user of users) pipeline[WRITE_THROUGH_COMMAND](...argsOf(user));
        if (message) pipeline.publish(message.channel, message.message);
        const replies = (await pipeline.exec()) ?? [];
        users.forEach((user, i) => !replies[i]?.[0] && replies[i] && written.add(user.userId));
      }
      if (written.size === 0) throw new Error('no write-through of the batch reached Redis');
    });
    return result === UNAVAILABLE ? new Set() : written;
  }

  async publish(channel: string, message: string): Promise<boolean> {
    return (await this.attempt('publish', () => this.redis.publish(channel, message))) !== UNAVAILABLE;
  }

  private async attempt<T>(op: string, run: () => Promise<T>): Promise<T | typeof UNAVAILABLE> {
    if (this.redis.status !== 'ready' || !this.breaker.allow()) {
      this.countFallback();
      return UNAVAILABLE;
    }
    const started = performance.now();
    try {
      const result = await run();
      this.breaker.success();
      return result;
    } catch (error) {
      this.breaker.failure();
      this.countFallback();
      this.warn(op, error as Error);
      return UNAVAILABLE;
    } finally {
      this.latencyOf(op).observe((performance.now() - started) / 1_000);
    }
  }

  /** The latency histogram's child for `op`, made once (no label object per operation). */
  private latencyOf(op: string): { observe(seconds: number): void } {
    let child = this.latencyByOp.get(op);
    if (!child) this.latencyByOp.set(op, (child = this.metrics.latency.labels(op)));
    return child;
  }

  private countFallback(): void {
    this.fallbackCount += 1;
    this.metrics.fallbacks.inc();
  }

  /** At most one warning a second: a dead Redis must not flood the logs. */
  private warn(op: string, error: Error): void {
    const now = Date.now();
    if (now - this.lastWarnAt < 1_000) return;
    this.lastWarnAt = now;
    this.logger?.warn({ op, err: error.message }, 'L2 cache operation failed; serving from L1 and the loader');
  }
}
