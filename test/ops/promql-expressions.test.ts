import { groupingLabels, proofQueries, selectors, setOperands, withoutComparisons } from './promql-expressions';

describe('the proof queries of an ops expression', () => {
  it('drops thresholds, but not label matchers or arithmetic', () => {
    expect(withoutComparisons('db_pool_utilization_ratio > 0.80')).toBe('db_pool_utilization_ratio');
    expect(withoutComparisons('redis_ping_latency_seconds < -0')).toBe('redis_ping_latency_seconds');
    expect(withoutComparisons('up{job="study-analytics", state!="idle"} == bool 0')).toBe('up{job="study-analytics", state!="idle"}');
    expect(withoutComparisons('a / clamp_min(b, 0.01) > 60')).toBe('a / clamp_min(b, 0.01)');
    // A comparison of two series is kept: it is not a threshold.
    expect(withoutComparisons('a > b')).toBe('a > b');
  });

  it('splits top-level and / or / unless into operands, dropping on (...) and ignoring (...)', () => {
    expect(setOperands('queue:queue_jobs:max{state="waiting"} > 0 and on (queue) max by (queue) (increase(x[10m])) == 0')).toEqual([
      'queue:queue_jobs:max{state="waiting"} > 0',
      'max by (queue) (increase(x[10m])) == 0',
    ]);
    // An or inside parentheses belongs to its operand.
    expect(setOperands('(sum(rate(a[5m])) or vector(0)) / sum(rate(b[5m]))')).toEqual(['(sum(rate(a[5m])) or vector(0)) / sum(rate(b[5m]))']);
  });

  it('finds every metric selector, not function names, keywords or label lists', () => {
    const found = selectors('histogram_quantile(0.99, sum by (route, le) (rate(http_request_duration_seconds_bucket{route!~"/health/.*", status=~"5.."}[5m]))) / ignoring(tier) group_left() sum(tier:cache_reads:rate5m)');
    expect(found.map((s) => s.text)).toEqual(['http_request_duration_seconds_bucket{route!~"/health/.*", status=~"5.."}', 'tier:cache_reads:rate5m']);
    expect(found[0]!.matchers).toEqual([
      { label: 'route', op: '!~', value: '/health/.*' },
      { label: 'status', op: '=~', value: '5..' },
    ]);
    expect(selectors('label_replace(sum(rate(cache_misses_total[5m])), "tier", "loader", "", "")').map((s) => s.metric)).toEqual(['cache_misses_total']);
  });

  it('names the labels an expression groups and matches by', () => {
    expect(groupingLabels('sum by (route, le) (rate(a[5m])) / ignoring (tier) group_left () b and on (queue) sum without (instance) (c)')).toEqual(['route', 'le', 'tier', 'queue']);
  });

  it('gives the whole expression, its operands and its selectors, each once', () => {
    const q = proofQueries('sum by (queue) (q{state=~"waiting|prioritized"}) > 1000 and sum by (queue) (delta(q{state=~"waiting|prioritized"}[10m])) > 0');
    expect(q.whole).toBe('sum by (queue) (q{state=~"waiting|prioritized"}) and sum by (queue) (delta(q{state=~"waiting|prioritized"}[10m]))');
    expect(q.operands).toEqual(['sum by (queue) (q{state=~"waiting|prioritized"})', 'sum by (queue) (delta(q{state=~"waiting|prioritized"}[10m]))']);
    expect(q.selectors.map((s) => s.text)).toEqual(['q{state=~"waiting|prioritized"}']);
    expect(q.groupingLabels).toEqual(['queue']);
  });
});
