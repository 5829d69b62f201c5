import { cacheKey, InvalidKeyError, userKeySpace, userOfKey } from './cache-keys';

describe('cache keys', () => {
  it('puts every key of a user under one hash tag', () => {
    const key = cacheKey('sa', { userId: 'u-1', aggregate: 'missions/summary', period: '30d' });
    expect(key).toBe('sa:{u:u-1}:a:missions/summary:30d');
    const keys = userKeySpace('sa');
    expect(keys.tagKey('u-1')).toBe('sa:{u:u-1}:keys');
    expect(keys.generationKey('u-1')).toBe('sa:{u:u-1}:gen');
    expect(keys.invalidationChannel).toBe('sa:cache:invalidate');
    expect(userOfKey(key)).toBe('u-1');
    expect(keys.userOf(key)).toBe('u-1');
    expect(keys.userOf('sa:something-else')).toBeNull();
  });

  it.each(['u*', 'u?', 'u[1]', 'u}', 'u:1', ''])('refuses the user id %j', (userId) => {
    expect(() => cacheKey('sa', { userId, aggregate: 'patterns', period: '-' })).toThrow(InvalidKeyError);
    expect(() => userKeySpace('sa').tagKey(userId)).toThrow(InvalidKeyError);
  });

  it.each(['', 'a b', 'x*'])('refuses the prefix %j', (prefix) => {
    expect(() => userKeySpace(prefix)).toThrow(InvalidKeyError);
  });
});
