import { RowBatcher } from './row-batcher';

describe('RowBatcher', () => {
  it('groups concurrent rows into one write and resolves each after it', async () => {
    const writes: number[][] = [];
    const batcher = new RowBatcher<number>(async (items) => {
      writes.push(items);
    }, { maxBatch: 100, maxWaitMs: 5 });
    await Promise.all([1, 2, 3].map((n) => batcher.add(n)));
    expect(writes).toEqual([[1, 2, 3]]);
  });

  it('splits at maxBatch and writes one batch at a time', async () => {
    let active = 0;
    let maxActive = 0;
    const sizes: number[] = [];
    const batcher = new RowBatcher<number>(async (items) => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      sizes.push(items.length);
      await new Promise((r) => setTimeout(r, 5));
      active -= 1;
    }, { maxBatch: 4, maxWaitMs: 1 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => batcher.add(i)));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(10);
    expect(Math.max(...sizes)).toBe(4);
    expect(maxActive).toBe(1);
  });

  it('rejects every row of a failed batch and goes on with the next', async () => {
    let fail = true;
    const batcher = new RowBatcher<number>(async () => {
      if (fail) {
        fail = false;
        throw new Error('db down');
      }
    }, { maxBatch: 10, maxWaitMs: 1 });
    const first = await Promise.allSettled([batcher.add(1), batcher.add(2)]);
    expect(first.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await expect(batcher.add(3)).resolves.toBeUndefined();
  });

  it('flush writes what is pending', async () => {
    const written: number[] = [];
    const batcher = new RowBatcher<number>(async (items) => {
      written.push(...items);
    }, { maxBatch: 10, maxWaitMs: 60_000 });
    const added = batcher.add(7);
    await batcher.flush();
    await added;
    expect(written).toEqual([7]);
  });
});
