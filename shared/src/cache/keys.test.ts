import { CircuitBreaker } from './circuit-breaker';
import { cacheKey, InvalidKeyError, parsePattern, userOfKey, userTagKey } from './keys';
import { withJitter } from './ttl';

describe('cache keys', () => {
  it('puts every key of a user under one hash tag', () => {
    const key = cacheKey('sa', { userId: 'u-1', aggregate: 'missions/summary', period: '30d' });
    expect(key).toBe('sa:{u:u-1}:a:missions/summary:30d');
    expect(userTagKey('sa', 'u-1')).toBe('sa:{u:u-1}:keys');
    expect(userOfKey(key)).toBe('u-1');
  });

  it.each(['u*', 'u?', 'u[1]', 'u}', 'u:1', ''])('refuses the user id %j', (userId) => {
    expect(() => cacheKey('sa', { userId, aggregate: 'patterns', period: '-' })).toThrow(InvalidKeyError);
  });
});

describe('invalidation patterns', () => {
  it('accepts a user, or a user and an aggregate', () => {
    expect(parsePattern('user:u1:*')).toEqual({ userId: 'u1' });
    expect(parsePattern('user:u1:missions/summary:*')).toEqual({ userId: 'u1', aggregate: 'missions/summary' });
  });

  it.each(['user:*', 'user:u*:*', 'user:u1', 'user:u1:pat*:*', 'user:[ab]:*', 'user:u?:*', '*', 'sa:{u:u1}:*', 'user:u1:*:*'])('refuses %j', (pattern) => {
    expect(() => parsePattern(pattern)).toThrow(InvalidKeyError);
  });
});

describe('circuit breaker', () => {
  it('opens after the threshold, lets one probe through after the cool-down, and closes on success', () => {
    let now = 0;
    const breaker = new CircuitBreaker(3, 1000, () => now);
    breaker.failure();
    breaker.failure();
    expect(breaker.allow()).toBe(true);
    breaker.failure();
    expect(breaker.allow()).toBe(false);
    now = 1000;
    expect(breaker.allow()).toBe(true);
    expect(breaker.allow()).toBe(false); // one probe at a time
    breaker.failure();
    now = 1500;
    expect(breaker.allow()).toBe(false);
    now = 2000;
    expect(breaker.allow()).toBe(true);
    breaker.success();
    expect(breaker.isOpen()).toBe(false);
    expect(breaker.allow()).toBe(true);
  });
});

describe('ttl jitter', () => {
  it('adds 0–10 %', () => {
    expect(withJitter(1000, () => 0)).toBe(1000);
    expect(withJitter(1000, () => 0.999)).toBe(1100);
  });
});
