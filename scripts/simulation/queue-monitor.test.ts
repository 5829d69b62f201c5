import { ApiMetricsQueueMonitor, queueDepthsFromMetrics } from './queue-monitor';
import { progressLine } from './simulation';

const NAMES = ['behavioral-event', 'session-completed', 'recompute'];

const METRICS = `# HELP queue_jobs Jobs per queue and state
# TYPE queue_jobs gauge
queue_jobs{queue="behavioral-event",state="waiting"} 30
queue_jobs{queue="behavioral-event",state="active"} 8
queue_jobs{queue="behavioral-event",state="delayed"} 2
queue_jobs{queue="behavioral-event",state="completed"} 5000
queue_jobs{queue="behavioral-event",state="failed"} 1
queue_jobs{queue="behavioral-event",state="prioritized"} 0
queue_jobs{state="waiting",queue="session-completed"} 1
queue_jobs{queue="recompute",state="prioritized"} 4
queue_jobs{queue="maintenance",state="waiting"} 9
# HELP queue_oldest_waiting_seconds Age of the oldest job waiting to run
# TYPE queue_oldest_waiting_seconds gauge
queue_oldest_waiting_seconds{queue="behavioral-event"} 1.25
queue_oldest_waiting_seconds{queue="recompute"} 0
`;

describe('queue figures from an API’s /metrics', () => {
  it('depth counts the unfinished states (waiting, active, delayed, prioritized); lag is the oldest waiting job', () => {
    expect(queueDepthsFromMetrics(METRICS, NAMES)).toEqual([
      { name: 'behavioral-event', depth: 40, lagMs: 1250 },
      { name: 'session-completed', depth: 1, lagMs: 0 },
      { name: 'recompute', depth: 4, lagMs: 0 },
    ]);
  });

  it('before the API’s first collection there are no figures: null, not zeros', () => {
    expect(queueDepthsFromMetrics('# HELP process_cpu_seconds_total\nprocess_cpu_seconds_total 1\n', NAMES)).toBeNull();
  });

  it('asks GET <url>/metrics with the key it has; an answer other than 200, or none, gives null', async () => {
    const asked: { url: string; authorization?: string }[] = [];
    const answer = (status: number, text: string): typeof fetch =>
      (async (url: string | URL | Request, init?: RequestInit) => {
        asked.push({ url: String(url), authorization: (init?.headers as Record<string, string>)?.authorization });
        return new Response(text, { status });
      }) as typeof fetch;
    const ok = new ApiMetricsQueueMonitor({ url: 'http://127.0.0.1:3000', key: 'an-ingest-key-0000', names: NAMES, fetch: answer(200, METRICS) });
    expect((await ok.snapshot())?.map((q) => q.depth)).toEqual([40, 1, 4]);
    expect(asked).toEqual([{ url: 'http://127.0.0.1:3000/metrics', authorization: 'Bearer an-ingest-key-0000' }]);
    expect(await new ApiMetricsQueueMonitor({ url: 'http://x', names: NAMES, fetch: answer(401, '{}') }).snapshot()).toBeNull();
    const refused = (async () => {
      throw new TypeError('fetch failed');
    }) as typeof fetch;
    expect(await new ApiMetricsQueueMonitor({ url: 'http://x', names: NAMES, fetch: refused }).snapshot()).toBeNull();
  });
});

describe('the progress line', () => {
  const state = {
    elapsedMs: 3_000,
    phase: 'sending' as const,
    stats: { sent: { events: 120, sessions: 6 }, pending: { events: 0, sessions: 0 }, notSent: { events: 0, sessions: 0 }, retries: 0, failures: {}, notSentReasons: {} },
    rate: 50,
    targetRate: 50,
  };

  it('shows each queue’s depth and lag when they are known', () => {
    expect(progressLine({ ...state, queues: [{ name: 'behavioral-event', depth: 40, lagMs: 1250 }] })).toBe(
      '[3s] sent 120 events + 6 sessions, 50.0/s (target 50/s), backlog 0 | behavioral-event 40 lag 1.3s',
    );
  });

  it('leaves them out, with no placeholder, while they are not', () => {
    expect(progressLine({ ...state, queues: null })).toBe('[3s] sent 120 events + 6 sessions, 50.0/s (target 50/s), backlog 0');
  });
});
