import { ID_PATTERN } from '../contracts/ids';
import { NamedError } from '../errors/errors';

/**
 * Key layout. Every key of one user carries the hash tag `{u:<userId>}`, so a user's
 * entries, tag set and generation counter live in one Redis Cluster slot and one Lua
 * script can invalidate them atomically.
 *
 *   <prefix>:{u:<userId>}:a:<aggregate>:<period>   an entry
 *   <prefix>:{u:<userId>}:keys                     the set of the user's entry keys (the tag)
 *   <prefix>:{u:<userId>}:gen                      bumped by every invalidation of the user
 *   <prefix>:{u:<userId>}:refresh                  set while a refresh of the user's aged aggregates is asked for
 */
export class InvalidKeyError extends NamedError {
  constructor(message: string) {
    super(message);
  }
}

const PREFIX_PATTERN = /^[A-Za-z0-9_:-]{1,64}$/;
const NAME_PATTERN = /^[a-z0-9-]+(\/[a-z0-9-]+)*$/;
const PERIOD_PATTERN = /^[A-Za-z0-9-]{1,8}$/;

function check(value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw new InvalidKeyError(`invalid ${what}: ${JSON.stringify(value)}`);
  return value;
}

function userSlot(prefix: string, userId: string): string {
  return `${check(prefix, PREFIX_PATTERN, 'cache prefix')}:{u:${check(userId, ID_PATTERN, 'user id')}}`;
}

export function cacheKey(prefix: string, parts: { userId: string; aggregate: string; period: string }): string {
  return `${userSlot(prefix, parts.userId)}:a:${check(parts.aggregate, NAME_PATTERN, 'aggregate name')}:${check(parts.period, PERIOD_PATTERN, 'period')}`;
}

export function userTagKey(prefix: string, userId: string): string {
  return `${userSlot(prefix, userId)}:keys`;
}

export function userGenerationKey(prefix: string, userId: string): string {
  return `${userSlot(prefix, userId)}:gen`;
}

export function userRefreshKey(prefix: string, userId: string): string {
  return `${userSlot(prefix, userId)}:refresh`;
}

/** The user an entry key belongs to (keys are only ever built by cacheKey). */
export function userOfKey(key: string): string | null {
  const match = /:\{u:([A-Za-z0-9_-]{1,64})\}:/.exec(key);
  return match ? match[1]! : null;
}

export interface ParsedPattern {
  userId: string;
  /** Only entries of this aggregate; all of the user's entries when absent. */
  aggregate?: string;
}

/**
 * The invalidation pattern grammar: `user:<userId>:*` or `user:<userId>:<aggregate>:*`.
 * The only glob is one trailing `*`; an id or name holding a glob character is refused,
 * so a caller can never widen an invalidation to other users' keys.
 */
export function parsePattern(pattern: string): ParsedPattern {
  const match = /^user:([^:]+):(?:([^:]+):)?\*$/.exec(pattern);
  if (!match) throw new InvalidKeyError(`invalid pattern ${JSON.stringify(pattern)}: use user:<userId>:* or user:<userId>:<aggregate>:*`);
  const userId = check(match[1]!, ID_PATTERN, 'user id in pattern');
  if (match[2] === undefined) return { userId };
  const aggregate = check(match[2], NAME_PATTERN, 'aggregate in pattern');
  return { userId, aggregate };
}
