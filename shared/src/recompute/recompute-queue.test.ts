import type { Queue } from 'bullmq';
import { enqueueRecompute, enqueueRecomputes, enqueueRecomputesAt, RECOMPUTE_JOB_NAME, RECOMPUTE_PRIORITY } from './recompute-queue';

/** The job options the recompute queue is asked for; the queue itself is BullMQ's (integration tests). */
interface Added {
  name: string;
  data: Record<string, unknown>;
  opts: { delay?: number; priority?: number; attempts?: number; deduplication?: { id: string; keepLastIfActive?: boolean } };
}

function recordingQueue() {
  const added: Added[] = [];
  const calls = { add: 0, addBulk: 0 };
  const queue = {
    async add(name: string, data: Added['data'], opts: Added['opts']) {
      calls.add += 1;
      added.push({ name, data, opts });
    },
    async addBulk(jobs: Added[]) {
      calls.addBulk += 1;
      added.push(...jobs);
    },
  } as unknown as Queue;
  return { queue, added, calls };
}

describe('recompute job options', () => {
  it('debounces new data per user: delayed by the debounce, deduplicated by user id, keeping one more while one runs', async () => {
    const { queue, added } = recordingQueue();
    await enqueueRecompute(queue, { userId: 'ana', publishedAt: '2026-12-01T10:00:00.000Z' }, 100);
    expect(added).toHaveLength(1);
    expect(added[0]!.name).toBe(RECOMPUTE_JOB_NAME);
    expect(added[0]!.data).toEqual({ userId: 'ana', publishedAt: '2026-12-01T10:00:00.000Z' });
    expect(added[0]!.opts.delay).toBe(100);
    expect(added[0]!.opts.deduplication).toEqual({ id: 'ana', keepLastIfActive: true });
    expect(added[0]!.opts.attempts).toBeGreaterThan(1);
  });

  it('queues refreshes of data already counted behind new data, and a person waiting ahead of both', async () => {
    const { queue, added } = recordingQueue();
    await enqueueRecomputes(queue, [{ userId: 'a' }, { userId: 'b', reason: 'aged' }, { userId: 'c', reason: 'refresh' }, { userId: 'd', reason: 'visible' }], 20);
    const priorityOf = (userId: string) => added.find((job) => job.data.userId === userId)!.opts.priority;
    expect(priorityOf('a')).toBe(RECOMPUTE_PRIORITY.newData);
    expect(priorityOf('b')).toBe(RECOMPUTE_PRIORITY.refresh);
    expect(priorityOf('c')).toBe(RECOMPUTE_PRIORITY.refresh);
    expect(priorityOf('d')).toBe(RECOMPUTE_PRIORITY.newData);
    // BullMQ runs 1 first: every lane has a priority, so the order holds against a prioritized backlog.
    expect(RECOMPUTE_PRIORITY.generate).toBeLessThan(RECOMPUTE_PRIORITY.newData);
    expect(RECOMPUTE_PRIORITY.newData).toBeLessThan(RECOMPUTE_PRIORITY.refresh);
    expect(RECOMPUTE_PRIORITY.generate).toBeGreaterThanOrEqual(1);
  });

  it('marks many users in one round trip, and none without one', async () => {
    const { queue, added, calls } = recordingQueue();
    await enqueueRecomputes(queue, [], 20);
    expect(calls).toEqual({ add: 0, addBulk: 0 });
    await enqueueRecomputes(queue, [{ userId: 'a' }, { userId: 'b' }, { userId: 'c' }], 20);
    expect(calls).toEqual({ add: 0, addBulk: 1 });
    expect(added.map((job) => job.data.userId)).toEqual(['a', 'b', 'c']);
    expect(added.every((job) => job.opts.delay === 20)).toBe(true);
  });

  it('schedules a row stamped ahead at the next 100 ms step after its time, one job per user and step', async () => {
    const { queue, added } = recordingQueue();
    const now = Date.parse('2026-12-01T10:00:00.000Z');
    await enqueueRecomputesAt(
      queue,
      [
        { userId: 'ana', at: new Date(now + 1_234) },
        { userId: 'ana', at: new Date(now + 1_300) },
        { userId: 'bob', at: new Date(now - 50) },
      ],
      now,
    );
    const [first, second, past] = added;
    expect(first!.opts.delay).toBe(1_300);
    expect(first!.opts.deduplication).toEqual({ id: `ana@${now + 1_300}`, keepLastIfActive: true });
    // Rows of the same step share a deduplication id, so they give one recompute.
    expect(second!.opts.deduplication!.id).toBe(first!.opts.deduplication!.id);
    // Already visible: runs now, never with a negative delay.
    expect(past!.opts.delay).toBe(0);
    expect(past!.data).toEqual({ userId: 'bob', reason: 'visible' });
    // Its own id per instant, so the users' debounced jobs (id = user id) cannot swallow it.
    expect(first!.opts.deduplication!.id).not.toBe('ana');
    expect(first!.opts.priority).toBe(RECOMPUTE_PRIORITY.newData);
  });
});
