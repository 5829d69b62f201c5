import { hash } from 'node:crypto';

/** Which tier answered a read: the `meta.cache` of SPEC 4 and the X-Cache header. */
export type ServedTier = 'l1' | 'l2' | 'db' | 'compute';

const DATA_OPEN = '{"data":';
const COMPUTED_AT = ',"computedAt":"';
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/** Everything after `"cache":` in the envelope, per tier and with or without `refreshing`. */
const TAILS: Record<ServedTier, readonly [plain: Buffer, refreshing: Buffer]> = {
  l1: tails('l1'),
  l2: tails('l2'),
  db: tails('db'),
  compute: tails('compute'),
};
function tails(tier: ServedTier): readonly [Buffer, Buffer] {
  return [Buffer.from(`"${tier}"}}`), Buffer.from(`"${tier}","refreshing":true}}`)];
}

/**
 * One stored aggregate as the analytics routes answer it (SPEC 4):
 *
 *   {"data":…,"meta":{"userId":…,"computedAt":…,"cache":<tier>[,"refreshing":true]}}
 *
 * built once from the cache entry's JSON text `{"data":…,"computedAt":…}` (the text L2 and
 * write-through store), without parsing the data: the data's text is copied as it is. The
 * answer of an L1 hit — the common read — is kept whole (`l1Body`, made on its first use);
 * the other tiers' and an aged read's bodies differ only after `"cache":` and are the same
 * head with another tail. The body asked for first is encoded in one go, and the head
 * shared from it: an L2 hit in a process whose L1 will not keep the entry long makes one
 * buffer, not two.
 *
 * ETags are strong: the SHA-1 of the head (data, user, computedAt), hashed once, plus the
 * tier and `r` for a refreshing answer, so each distinct body has its own tag and equal
 * bodies have equal tags.
 */
export class AggregateResponse {
  /** The ETag of an L1 hit that is not aged. */
  readonly l1ETag: string;
  readonly computedAt: string;
  readonly computedAtMs: number;
  /** The head, followed by the tail of the first body made (the first tier that answered). */
  private readonly first: Buffer;
  private readonly firstTier: ServedTier;
  private readonly head: Buffer;
  private readonly tagBase: string;
  private l1: Buffer | undefined;

  private constructor(dataJson: string, userId: string, computedAt: string, tier: ServedTier) {
    this.computedAt = computedAt;
    this.computedAtMs = Date.parse(computedAt);
    const tail = TAILS[tier][0];
    this.first = Buffer.from(`${DATA_OPEN}${dataJson},"meta":{"userId":${JSON.stringify(userId)},"computedAt":${JSON.stringify(computedAt)},"cache":${tail.toString('latin1')}`);
    this.firstTier = tier;
    this.head = this.first.subarray(0, this.first.length - tail.length);
    this.tagBase = hash('sha1', this.head, 'base64url');
    this.l1ETag = `"${this.tagBase}-l1"`;
    if (tier === 'l1') this.l1 = this.first;
  }

  /** The body of an L1 hit that is not aged: one Buffer for the entry's lifetime. */
  get l1Body(): Buffer {
    return (this.l1 ??= Buffer.concat([this.head, TAILS.l1[0]]));
  }

  /**
   * From a StoredAggregate's JSON text (`{"data":…,"computedAt":"ISO"}`) and the user it
   * belongs to; `firstTier`: the tier whose body will be asked for first (no extra copy for it).
   */
  static fromStoredJson(json: string, userId: string, firstTier: ServedTier = 'l1'): AggregateResponse {
    if (json.startsWith(DATA_OPEN) && json.endsWith('"}')) {
      const at = json.lastIndexOf(COMPUTED_AT);
      const computedAt = at > DATA_OPEN.length ? json.slice(at + COMPUTED_AT.length, -2) : '';
      if (ISO_TIME.test(computedAt)) return new AggregateResponse(json.slice(DATA_OPEN.length, at), userId, computedAt, firstTier);
    }
    // Another layout (never written by this code base): parsed, and the data serialized as res.json would.
    const parsed = JSON.parse(json) as { data: unknown; computedAt: string };
    return new AggregateResponse(JSON.stringify(parsed.data), userId, parsed.computedAt, firstTier);
  }

  body(tier: ServedTier, refreshing: boolean): Buffer {
    if (!refreshing) {
      if (tier === 'l1') return this.l1Body;
      if (tier === this.firstTier) return this.first;
    }
    return Buffer.concat([this.head, TAILS[tier][refreshing ? 1 : 0]]);
  }

  etag(tier: ServedTier, refreshing: boolean): string {
    if (tier === 'l1' && !refreshing) return this.l1ETag;
    return `"${this.tagBase}-${tier}${refreshing ? '-r' : ''}"`;
  }
}
