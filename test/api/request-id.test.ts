import { Writable } from 'node:stream';
import { createRequire } from 'node:module';
import request from 'supertest';
import type { ApiApp } from '../../services/api/src/app';
import type { BehavioralEvent } from '@shared/contracts/behavioral-event';
import type { Logger } from '@shared/logger/logger';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import { insertEvents } from '@shared/store/event-store';
import { startWorkerRuntime, type WorkerRuntime } from '../../workers/src/worker-runtime';
import { appFor, API_KEYS_ENV, bearer, GENERATED_REQUEST_ID } from '../support/api-app';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * The request id the API gives an HTTP request travels with the jobs that request
 * enqueues, so the worker's logs for those jobs carry it. The job data stays the event
 * itself (SPEC 3); the id rides in the optional `_trace` field workers strip before validation.
 */
let system: TestSystem;
let app: ApiApp;
let workers: WorkerRuntime | undefined;
const logs: Record<string, unknown>[] = [];
// pino is a dependency of shared/ (not of the root): the same pino the process logger uses, writing to a test stream.
const pino = createRequire(require.resolve('../../shared/package.json'))('pino') as (options: object, stream: Writable) => Logger;

beforeAll(async () => {
  // No workers yet: the jobs must still be in the queue when the test reads them back.
  system = await startTestSystem({ workers: false, env: { API_KEYS: API_KEYS_ENV } });
  app = appFor(system);
}, 60_000);
afterAll(async () => {
  await workers?.close();
  await system?.stop();
});

function startWorkersLoggingTo(sink: Record<string, unknown>[]): Promise<WorkerRuntime> {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) sink.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level: 'debug' }, stream);
  return startWorkerRuntime({ config: system.config, logger, db: system.infra.db, cache: system.writer, registry: system.infra.registry }, { scheduler: false });
}

const event = (eventId: string, userId: string) => ({ eventId, userId, type: 'self_report', occurredAt: new Date(Date.now() - 60_000).toISOString(), properties: { stress: 4 } });

it('POST /api/events: each job carries the request id next to the unchanged event, and the worker logs it', async () => {
  const sent = [event('trace-e1', 'trace-user'), event('trace-e2', 'trace-user')];
  const res = await request(app).post('/api/events').set(bearer('ingest')).set('X-Request-Id', 'req-ingest-42').send({ events: sent });
  expect(res.status).toBe(202);
  expect(res.headers['x-request-id']).toBe('req-ingest-42');

  for (const original of sent) {
    const job = await system.queue(QUEUE_NAMES.behavioralEvent).getJob(original.eventId);
    const { _trace, ...data } = job!.data as { _trace: { requestId: string; publishedAt: string } };
    expect(data).toEqual(original);
    expect(_trace).toEqual({ requestId: 'req-ingest-42', publishedAt: expect.any(String) });
  }

  workers = await startWorkersLoggingTo(logs);
  await system.drained();
  expect(logs).toContainEqual(expect.objectContaining({ msg: 'batch stored', queue: QUEUE_NAMES.behavioralEvent, requestIds: ['req-ingest-42'] }));
  // The recompute those events caused logs the same id.
  expect(logs).toContainEqual(expect.objectContaining({ msg: 'aggregates visible', userId: 'trace-user', requestId: 'req-ingest-42' }));
});

it('a job that fails logs the request id of the request that enqueued it', async () => {
  // A malformed job (a buggy publisher) that still carries a trace: it fails at once, unrecoverable.
  await system.queue(QUEUE_NAMES.behavioralEvent).add('self_report', { eventId: 'bad-1', userId: 'x*', _trace: { requestId: 'req-bad-7', publishedAt: new Date().toISOString() } }, { jobId: 'bad-1' });
  await system.drained();
  expect(logs).toContainEqual(expect.objectContaining({ msg: 'job failed', jobId: 'bad-1', requestId: 'req-bad-7', err: expect.stringMatching(/invalid payload/) }));
});

it('POST /api/analytics/predictions/generate: the recompute job carries the request id and the worker logs it', async () => {
  await insertEvents(system.infra.db.pool, [event('trace-g1', 'trace-gen') as BehavioralEvent]);
  const res = await request(app).post('/api/analytics/predictions/generate').set(bearer('read')).set('X-Request-Id', 'req-generate-9').send({ userId: 'trace-gen' });
  expect(res.status).toBe(200);
  const recomputes = await system.queue(QUEUE_NAMES.recompute).getJobs(['completed']);
  expect(recomputes.map((j) => j.data)).toContainEqual({ userId: 'trace-gen', requestId: 'req-generate-9' });
  expect(logs).toContainEqual(expect.objectContaining({ msg: 'aggregates visible', userId: 'trace-gen', requestId: 'req-generate-9' }));
});

it('a request without a usable X-Request-Id gets a generated one, which the job carries', async () => {
  const res = await request(app).post('/api/events').set(bearer('ingest')).set('X-Request-Id', 'not a safe id!').send({ events: [event('trace-e3', 'trace-user')] });
  expect(res.status).toBe(202);
  const generated = res.headers['x-request-id'] as string;
  // This process's random prefix and a counter: unique without a UUID per request.
  expect(generated).toMatch(GENERATED_REQUEST_ID);
  await system.drained();
  const job = await system.queue(QUEUE_NAMES.behavioralEvent).getJob('trace-e3');
  expect((job!.data as { _trace: { requestId: string } })._trace.requestId).toBe(generated);
  expect(logs).toContainEqual(expect.objectContaining({ msg: 'batch stored', requestIds: [generated] }));
});
