import type { CacheKeySpace } from '../cache/key-space';
import { InvalidKeyError } from '../cache/key-space';
import { NO_PERIOD } from './analytics-query';
import { ID_PATTERN } from './ids';

/**
 * The layout of the cache's keys, which the API (reads) and the workers (write-through)
 * both build. Every key of one user carries the hash tag `{u:<userId>}`, so a user's
 * entries, tag set and generation counter live in one Redis Cluster slot and one Lua
 * script can invalidate them atomically.
 *
 *   <prefix>:{u:<userId>}:a:<aggregate>:<period>   an entry
 *   <prefix>:{u:<userId>}:keys                     the set of the user's entry keys (the tag)
 *   <prefix>:{u:<userId>}:gen                      bumped by every invalidation of the user
 *   <prefix>:{u:<userId>}:refresh                  set while a refresh of the user's aged aggregates is asked for
 *   <prefix>:cache:invalidate                      the invalidation channel
 *
 * The cache itself is handed `userKeySpace(prefix)` and knows nothing more of this layout.
 */
export { InvalidKeyError };

const PREFIX_PATTERN = /^[A-Za-z0-9_:-]{1,64}$/;
const NAME_PATTERN = /^[a-z0-9-]+(\/[a-z0-9-]+)*$/;
const PERIOD_PATTERN = /^[A-Za-z0-9-]{1,8}$/;
const USER_OF_KEY = /:\{u:([A-Za-z0-9_-]{1,64})\}:/;

function check(value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw new InvalidKeyError(`invalid ${what}: ${JSON.stringify(value)}`);
  return value;
}

function userSlot(prefix: string, userId: string): string {
  return `${check(prefix, PREFIX_PATTERN, 'cache prefix')}:{u:${check(userId, ID_PATTERN, 'user id')}}`;
}

/** The key of one stored aggregate (`period` NO_PERIOD for aggregates without one). */
export function cacheKey(prefix: string, parts: { userId: string; aggregate: string; period?: string }): string {
  return `${userSlot(prefix, parts.userId)}:a:${check(parts.aggregate, NAME_PATTERN, 'aggregate name')}:${check(parts.period ?? NO_PERIOD, PERIOD_PATTERN, 'period')}`;
}

export function userRefreshKey(prefix: string, userId: string): string {
  return `${userSlot(prefix, userId)}:refresh`;
}

/** The user an entry key belongs to (keys are only ever built by cacheKey). */
export function userOfKey(key: string): string | null {
  const match = USER_OF_KEY.exec(key);
  return match ? match[1]! : null;
}

/** What the cache is handed: the layout above under `prefix`. */
export function userKeySpace(prefix: string): CacheKeySpace {
  check(prefix, PREFIX_PATTERN, 'cache prefix');
  return {
    userOf: userOfKey,
    tagKey: (userId) => `${userSlot(prefix, userId)}:keys`,
    generationKey: (userId) => `${userSlot(prefix, userId)}:gen`,
    invalidationChannel: `${prefix}:cache:invalidate`,
  };
}
