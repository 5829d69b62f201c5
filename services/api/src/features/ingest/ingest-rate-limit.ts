import { rateLimit } from 'express-rate-limit';
import { Cluster } from 'ioredis';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type { RequestHandler } from 'express';
import type { Logger } from '@shared/logger/logger';
import type { RedisClient } from '@shared/redis/redis-connection';

/**
 * Ingest requests per API key per minute, counted in Redis so every API instance shares
 * the budget. If Redis cannot count, requests pass (ingest itself then answers 503).
 */
export function ingestRateLimit(deps: { redis: RedisClient; prefix: string; perMinute: number; logger: Logger }): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: deps.perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    passOnStoreError: true,
    keyGenerator: (_req, res) => String(res.locals.apiKeyId ?? 'open'),
    store: new RedisStore({
      prefix: `${deps.prefix}:ratelimit:`,
      ...commandSender(deps.redis),
    }),
    handler: (_req, res) => {
      res.status(429).json({ error: { code: 'E_RATE_LIMITED', message: `at most ${deps.perMinute} ingest requests per minute per key` } });
    },
    logger: { warn: (m: string) => deps.logger.debug(m), error: (m: string) => deps.logger.debug(m) } as never,
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
