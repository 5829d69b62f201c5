import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import express, { Router, type Express } from 'express';
import request from 'supertest';
import type { Logger } from '@shared/logger/logger';
import { AppError, DependencyUnavailableError } from '@shared/errors/errors';
import { errorHandler } from './error-handler';
import { everyRequest } from './every-request';
import { assignRequestId, requestIdGenerator } from './request-id';
import { requestLog, requestLogLevel, SLOW_REQUEST_MS } from './request-log';
import { setPrincipal } from './principal';

// pino is a dependency of shared/: the same pino the process logger uses, writing to a test stream.
const pino = createRequire(require.resolve('../../../../shared/package.json'))('pino') as (options: object, stream: Writable) => Logger;

function loggerAt(level: string) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

/** A small app with the request log, an id, and routes that answer each kind of status. */
function appLoggingTo(logger: Logger): Express {
  const app = express();
  app.use(everyRequest({ onArrival: [assignRequestId()], onDone: [requestLog(logger, { quietPaths: ['/health/live'] })] }).middleware);
  // Mounted as the app mounts it: the probe is known by its whole path.
  const health = Router();
  health.get('/live', (_req, res) => void res.json({ status: 'ok' }));
  app.use('/health', health);
  app.get('/read', (_req, res) => {
    setPrincipal(res, { kind: 'api-key', role: 'read', keyId: '0123456789abcdef' });
    res.json({ data: 1 });
  });
  app.get('/refused', (_req, _res, next) => next(new AppError(403, 'E_FORBIDDEN', 'no')));
  app.get('/down', (_req, _res, next) => next(new DependencyUnavailableError('redis', 'the queue is unavailable; retry later', 1, new Error('OOM command not allowed'))));
  app.get('/bug', () => {
    throw new Error('a bug');
  });
  app.use(errorHandler());
  return app;
}

describe('the level of a request line', () => {
  it.each([
    [200, 5, 'debug'],
    [304, 5, 'debug'],
    [200, SLOW_REQUEST_MS + 1, 'info'],
    [401, 5, 'info'],
    [429, 5, 'info'],
    [500, 5, 'error'],
    [504, 5, 'error'],
    [503, 5, 'warn'],
  ])('status %i after %i ms: %s', (status, ms, level) => {
    expect(requestLogLevel(status, ms)).toBe(level);
  });
});

describe('what each LOG_LEVEL writes', () => {
  const visit = async (app: Express) => {
    for (const path of ['/health/live', '/read', '/refused', '/down', '/bug']) await request(app).get(path).set('X-Request-Id', `id${path.replaceAll('/', '-')}`);
  };

  it('info: failures with their id, subject-less refusals, the 503 at warn with its driver error; successful reads not at all', async () => {
    const { logger, lines } = loggerAt('info');
    await visit(appLoggingTo(logger));
    const byId = Object.fromEntries(lines.map((l) => [(l.req as { id: string }).id, l]));
    expect(Object.keys(byId).sort()).toEqual(['id-bug', 'id-down', 'id-refused']);
    expect(byId['id-refused']).toMatchObject({ level: 30, msg: 'request errored', errorCode: 'E_FORBIDDEN', res: { statusCode: 403 }, req: { method: 'GET', url: '/refused' } });
    expect(byId['id-down']).toMatchObject({ level: 40, res: { statusCode: 503 }, err: { message: expect.stringContaining('OOM command not allowed') } });
    expect(byId['id-bug']).toMatchObject({ level: 50, res: { statusCode: 500 }, err: { message: 'a bug', stack: expect.any(String) } });
    expect(byId['id-refused']!.err).toBeUndefined();
  });

  it('debug: every request but the probes, with its subject and time', async () => {
    const { logger, lines } = loggerAt('debug');
    await visit(appLoggingTo(logger));
    expect(lines.map((l) => (l.req as { id: string }).id)).toEqual(['id-read', 'id-refused', 'id-down', 'id-bug']);
    expect(lines[0]).toMatchObject({ level: 20, msg: 'request completed', subject: 'read-key:0123456789abcdef', responseTime: expect.any(Number), res: { statusCode: 200 } });
  });

  it('trace: the probes too', async () => {
    const { logger, lines } = loggerAt('trace');
    await visit(appLoggingTo(logger));
    expect(lines[0]).toMatchObject({ level: 10, req: { id: 'id-health-live', url: '/health/live' } });
  });

  it('builds nothing for a request whose line is left out', async () => {
    const { logger, lines } = loggerAt('info');
    const built = jest.spyOn(logger, 'debug');
    await request(appLoggingTo(logger)).get('/read');
    expect(built).not.toHaveBeenCalled();
    expect(lines).toEqual([]);
  });
});

describe('request ids', () => {
  it('honours a safe X-Request-Id, replaces an unsafe one, and never gives two requests the same', async () => {
    const { logger } = loggerAt('silent');
    const app = appLoggingTo(logger);
    expect((await request(app).get('/read').set('X-Request-Id', 'caller-id_1.2:3')).headers['x-request-id']).toBe('caller-id_1.2:3');
    const replaced = (await request(app).get('/read').set('X-Request-Id', 'not safe!')).headers['x-request-id'];
    expect(replaced).toMatch(/^[0-9a-f]{12}-[0-9a-z]+$/);
    const next = requestIdGenerator();
    const ids = Array.from({ length: 10_000 }, next);
    expect(new Set(ids).size).toBe(ids.length);
    // Another process (another generator) draws another prefix.
    expect(requestIdGenerator()().split('-')[0]).not.toBe(ids[0]!.split('-')[0]);
  });
});
