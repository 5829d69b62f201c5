import type pg from 'pg';
import type { Queryable } from './database';

/** What runs a transaction: a pool to take one client from. */
export type TransactionPool = Pick<pg.Pool, 'connect'>;

/**
 * Runs `work` in one transaction on one client of the pool: committed when it resolves,
 * rolled back when it throws (the error is rethrown). A client whose rollback failed is
 * destroyed rather than returned to the pool, since its session state is unknown.
 */
export async function inTransaction<T>(pool: TransactionPool, work: (client: Queryable) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      broken = rollbackError as Error;
    }
    throw error;
  } finally {
    client.release(broken);
  }
}
