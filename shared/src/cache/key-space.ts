import { NamedError } from '../errors/errors';

/**
 * The cache's view of its keys, handed to it by whoever builds them (the aggregates' key
 * layout: contracts/cache-keys.ts). The cache core only needs to know which user a key
 * belongs to — every invalidation drops a user — and where that user's bookkeeping lives;
 * it knows no aggregate, period or route.
 */
export interface CacheKeySpace {
  /** The user an entry key belongs to; null for a key not built by this key space. */
  userOf(key: string): string | null;
  /** The Redis set of the user's entry keys (what an invalidation deletes). */
  tagKey(userId: string): string;
  /** The Redis counter bumped by every invalidation of the user (a racing fill checks it). */
  generationKey(userId: string): string;
  /** The pub/sub channel (or NOTIFY channel) of invalidation messages. */
  readonly invalidationChannel: string;
}

export class InvalidKeyError extends NamedError {
  constructor(message: string) {
    super(message);
  }
}
