import { isCredentialParameter, redactUrl } from './redact-url';

describe('redactUrl', () => {
  it.each([
    ['/api/analytics/patterns?userId=u1&access_token=eyJhbGciOi.x.y', '/api/analytics/patterns?userId=u1&access_token=[REDACTED]'],
    ['/api/events?api_key=ingest-key-0123456789', '/api/events?api_key=[REDACTED]'],
    ['/metrics?token=abc&key=def&apikey=ghi&API-KEY=jkl', '/metrics?token=[REDACTED]&key=[REDACTED]&apikey=[REDACTED]&API-KEY=[REDACTED]'],
    ['/x?client_secret=a&password=b&jwt=c&auth=d&id_token=e&refresh_token=f&signature=g', '/x?client_secret=[REDACTED]&password=[REDACTED]&jwt=[REDACTED]&auth=[REDACTED]&id_token=[REDACTED]&refresh_token=[REDACTED]&signature=[REDACTED]'],
    // Encoded names, array names, a bare name, an empty value, a fragment.
    ['/x?access%5Ftoken=a&token[]=b&token&Token=&userId=u1#frag', '/x?access%5Ftoken=[REDACTED]&token[]=[REDACTED]&token=[REDACTED]&Token=[REDACTED]&userId=u1#frag'],
    ['/x?%E0%A4%A=1&token=2', '/x?%E0%A4%A=1&token=[REDACTED]'],
  ])('%s → %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it('keeps URLs without a credential as they are (the same string: nothing built)', () => {
    for (const url of ['/api/analytics/patterns?userId=u1&period=7d', '/health/live', '/admin/queues/api/queues?activeQueue=recompute&page=1&jobsPerPage=10', '/x?monkey=1&keyword=2&tokens=3&', '/x?']) {
      expect(redactUrl(url)).toBe(url);
    }
  });

  it('judges names, not values', () => {
    expect(['token', 'ACCESS_TOKEN', 'x-api-key', 'my.secret', 'sig'].every(isCredentialParameter)).toBe(true);
    expect(['userId', 'period', 'monkey', 'keyword', 'tokens', 'page', 'sort', 'sessionId'].some(isCredentialParameter)).toBe(false);
    expect(redactUrl('/x?userId=my-token&period=access_token')).toBe('/x?userId=my-token&period=access_token');
  });
});
