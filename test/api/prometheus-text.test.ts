import { parsePrometheusText, samplesOf } from '../support/prometheus-text';

/** The parser the /metrics test relies on must reject what Prometheus would reject. */
const valid = [
  '# HELP http_seconds latency',
  '# TYPE http_seconds histogram',
  'http_seconds_bucket{le="0.1",route="/a"} 1',
  'http_seconds_bucket{le="+Inf",route="/a"} 2',
  'http_seconds_sum{route="/a"} 0.35',
  'http_seconds_count{route="/a"} 2',
  '# TYPE up gauge',
  'up{name="say \\"hi\\""} 1',
  '',
].join('\n');

it('parses families, labels (with escapes) and values', () => {
  const families = parsePrometheusText(valid);
  expect(families.get('http_seconds')?.type).toBe('histogram');
  expect(samplesOf(families, 'http_seconds', { route: '/a' }, 'http_seconds_count')[0]?.value).toBe(2);
  expect(samplesOf(families, 'up')[0]?.labels).toEqual({ name: 'say "hi"' });
});

it.each([
  ['a sample of an undeclared family', 'nope 1'],
  ['a bad value', '# TYPE up gauge\nup one'],
  ['bad labels', '# TYPE up gauge\nup{a=1} 1'],
  ['a duplicate series', '# TYPE up gauge\nup{a="1"} 1\nup{a="1"} 2'],
  ['non-cumulative buckets', '# TYPE h histogram\nh_bucket{le="1"} 3\nh_bucket{le="+Inf"} 2\nh_count 2\nh_sum 1'],
  ['+Inf different from _count', '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_count 3\nh_sum 1'],
])('rejects %s', (_what, text) => {
  expect(() => parsePrometheusText(text)).toThrow();
});
