import { rateLimit, type Store } from 'express-rate-limit';
import { Cluster } from 'ioredis';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type { RequestHandler } from 'express';
import type { Logger } from '@shared/logger/logger';
import type { RedisClient } from '@shared/redis/redis-connection';
import { principalOf, subjectOf } from './principal';

export interface RateLimitOptions {
  redis?: RedisClient;
  /** Where the counts live instead of Redis (a MemoryStore when one API process serves them all). */
  store?: Store;
  /** Key prefix of this limit's counters, e.g. `sa:ratelimit:ingest:`. */
  prefix: string;
  perMinute: number;
  /** What is counted, for the 429 message: "ingest requests", "prediction runs", … */
  what: string;
  logger: Logger;
}

/**
 * Requests per minute per caller — an API key, or a user token's user — counted in Redis so
 * every API instance shares the budget. Mounted after authentication (it keys on who is
 * calling) and before the body is parsed. If Redis cannot count, requests pass (the route
 * itself then answers 503 if it needs Redis).
 */
export function redisRateLimit(options: RateLimitOptions): RequestHandler {
  const refusal = (per: 'key' | 'user') => ({ error: { code: 'E_RATE_LIMITED', message: `at most ${options.perMinute} ${options.what} per minute per ${per}` } });
  const refusals = { key: refusal('key'), user: refusal('user') };
  return rateLimit({
    windowMs: 60_000,
    limit: options.perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    passOnStoreError: true,
    keyGenerator: (_req, res) => subjectOf(principalOf(res)),
    store: options.store ?? new RedisStore({ prefix: options.prefix, ...commandSender(options.redis!) }),
    handler: (_req, res) => {
      res.status(429).json(principalOf(res).kind === 'user' ? refusals.user : refusals.key);
    },
    logger: { warn: (m: string) => options.logger.debug(m), error: (m: string) => options.logger.debug(m) } as never,
  });
}

/**
 * How the store talks to Redis. In a cluster, `SCRIPT LOAD` would reach one random node
 * while `EVALSHA` goes to the node of the key (NOSCRIPT, and every request passes
 * uncounted): load scripts on every master instead.
 */
function commandSender(redis: RedisClient) {
  if (!(redis instanceof Cluster)) {
    return { sendCommand: (...args: string[]) => redis.call(args[0]!, ...args.slice(1)) as Promise<RedisReply> };
  }
  return {
    sendCommandCluster: async ({ command }: { command: string[] }) => {
      const [name, ...args] = command;
      if (name!.toUpperCase() === 'SCRIPT') {
        const replies = await Promise.all(redis.nodes('master').map((node) => node.call(name!, ...args)));
        return replies[0] as RedisReply;
      }
      return redis.call(name!, ...args) as Promise<RedisReply>;
    },
  };
}
