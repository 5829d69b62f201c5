import { gzipSync } from 'node:zlib';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import type { Job, Queue } from 'bullmq';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import { appFor, API_KEYS_ENV, KEYS } from '../support/api-app';
import {
  eventMutationArb,
  nestedJson,
  propertiesOfBytes,
  sessionMutationArb,
  tagId,
  validEventArb,
  validSessionArb,
  type Mutation,
} from '../support/event-arbitraries';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * Bad input, over real HTTP into the real app and straight onto the real queues: random
 * and mutated payloads must get a 4xx in the one error shape (never a 5xx, never a 2xx),
 * the process must stay healthy, and nothing of a rejected batch may ever be stored or
 * enqueued. Valid but adversarial payloads (64-character ids, bounds, odd but legal
 * timestamps, escaped unicode) must be accepted. Seeded: the same inputs every run.
 *
 * Ids are tagged so the end checks can find them: `rh<case>-` for HTTP batches that must be
 * rejected, `mq-` for malformed queue jobs, `ok<case>-` for accepted events.
 */
const SEED = 20_261_125;
const NOW = Date.now();
const USERS = ['fz-user', 'x'.repeat(64), '-', '__proto__', 'constructor'];
const tried = { http: 0, jobs: 0 };
const accepted = { events: new Set<string>(), sessions: new Set<string>() };
let caseNo = 0;

let system: TestSystem;
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  system = await startTestSystem({ env: { API_KEYS: API_KEYS_ENV, RATE_LIMIT_PER_MINUTE: '10000000' } });
  server = createServer(appFor(system)).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  console.log(`fuzz-ingest: ${tried.http} HTTP inputs and ${tried.jobs} queue jobs tried; ${accepted.events.size} events and ${accepted.sessions.size} sessions accepted`);
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await system?.stop();
});

// ---------------------------------------------------------------------------------------
// HTTP helpers

interface Reply {
  status: number;
  text: string;
  body: unknown;
}

async function post(path: string, body: string | Buffer | undefined, headers: Record<string, string> = { 'Content-Type': 'application/json' }): Promise<Reply> {
  tried.http += 1;
  const res = await fetch(`${baseUrl}${path}`, { method: 'POST', headers: { Authorization: `Bearer ${KEYS.ingest}`, ...headers }, body });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, text, body: parsed };
}

const shorten = (text: string) => (text.length > 300 ? `${text.slice(0, 300)}…` : text);

/** A 4xx in the one error shape `{ error: { code, message[, details] } }`, no stack trace. */
function expectRejected(reply: Reply, context: string, expected: { codes?: string[]; index?: number } = {}): void {
  const fail = (why: string) => {
    throw new Error(`${context}: ${why}; got ${reply.status} ${shorten(reply.text)}`);
  };
  if (reply.status < 400 || reply.status > 499) fail('expected a 4xx');
  const body = reply.body as { error?: Record<string, unknown> } | undefined;
  if (!body || Object.keys(body).join() !== 'error' || !body.error) fail('not the error shape');
  const error = body!.error!;
  if (Object.keys(error).some((k) => !['code', 'message', 'details'].includes(k))) fail('extra fields in the error');
  if (typeof error.code !== 'string' || !/^E_[A-Z_]+$/.test(error.code) || typeof error.message !== 'string') fail('code/message missing');
  if (/\n\s+at |node_modules|\.ts:\d+/.test(reply.text)) fail('a stack trace reached the client');
  if (expected.codes && !expected.codes.includes(error.code as string)) fail(`expected code ${expected.codes.join(' or ')}`);
  if (expected.index !== undefined) {
    const details = error.details as { index: number; issues: { path: string; message: string }[] }[] | undefined;
    if (error.code !== 'E_VALIDATION' || !Array.isArray(details)) fail('expected E_VALIDATION with details');
    if (details!.map((d) => d.index).join() !== String(expected.index)) fail(`expected an error for index ${expected.index} only`);
    if (!details!.every((d) => d.issues.length > 0 && d.issues.every((i) => typeof i.path === 'string' && typeof i.message === 'string'))) fail('details without issues');
  }
}

function expectAccepted(reply: Reply, context: string, count: number): void {
  if (reply.status !== 202 || (reply.body as { accepted?: number })?.accepted !== count) {
    throw new Error(`${context}: expected 202 { accepted: ${count} }; got ${reply.status} ${shorten(reply.text)}`);
  }
}

type Item = Record<string, unknown>;
const idField = { events: 'eventId', sessions: 'sessionId' } as const;

/** Tags every id of a batch that is going to be rejected, so the end checks can look for it. */
function tagRejected(items: Item[], field: 'events' | 'sessions'): Item[] {
  const tag = `rh${(caseNo += 1)}-`;
  return items.map((item) => ({ ...item, [idField[field]]: tagId(tag, item[idField[field]] as string), userId: tagId(tag, item.userId as string) }));
}

function tagAccepted(items: Item[], field: 'events' | 'sessions'): Item[] {
  const tag = `ok${(caseNo += 1)}-`;
  return items.map((item) => {
    const id = tagId(tag, item[idField[field]] as string);
    accepted[field].add(id);
    return { ...item, [idField[field]]: id };
  });
}

/** JSON text with every string written as \u escapes: the same value to a JSON parser. */
function escapeAllStrings(text: string): string {
  return text.replace(/"([A-Za-z0-9_\-:.+]*)"/g, (_m, inner: string) => `"${[...inner].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"`);
}

const runs = (numRuns: number) => ({ numRuns, seed: SEED, endOnFailure: true });
const route = { events: '/api/events', sessions: '/api/sessions' } as const;
const validItemArb = { events: (users?: string[]) => validEventArb(NOW, users), sessions: (users?: string[]) => validSessionArb(NOW, users) };
const mutationArb = { events: eventMutationArb, sessions: sessionMutationArb };

// ---------------------------------------------------------------------------------------

describe.each(['events', 'sessions'] as const)('POST /api/%s under fuzzing', (field) => {
  it('refuses a valid batch with one mutated item: 400, an error for that index only, nothing enqueued', async () => {
    const arb = fc.record({
      items: fc.array(validItemArb[field](), { minLength: 1, maxLength: 12 }),
      at: fc.nat(),
      mutation: mutationArb[field],
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ items, at, mutation }: { items: Item[]; at: number; mutation: Mutation }) => {
        const batch: unknown[] = tagRejected(items, field);
        const index = at % batch.length;
        batch[index] = mutation.apply(batch[index] as Item);
        const reply = await post(route[field], JSON.stringify({ [field]: batch }));
        expectRejected(reply, `${field} mutation "${mutation.name}" at ${index}`, { index });
      }),
      runs(field === 'events' ? 260 : 160),
    );
  }, 60_000);

  it('accepts valid but adversarial batches: 64-character ids, bounds, odd legal timestamps, escaped unicode', async () => {
    const arb = fc.record({ items: fc.array(validItemArb[field](USERS), { minLength: 1, maxLength: 20 }), escaped: fc.boolean(), contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'Application/JSON') });
    await fc.assert(
      fc.asyncProperty(arb, async ({ items, escaped, contentType }) => {
        const batch = tagAccepted(items, field);
        const text = JSON.stringify({ [field]: batch });
        const reply = await post(route[field], escaped ? escapeAllStrings(text) : text, { 'Content-Type': contentType });
        expectAccepted(reply, `valid ${field} (escaped: ${escaped}) ${shorten(text)}`, batch.length);
      }),
      runs(60),
    );
  }, 60_000);

  it('refuses random JSON bodies, and valid batch texts with one stray character', async () => {
    const randomBody = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.jsonValue().map((v) => JSON.stringify({ [field]: v })),
      fc.jsonValue().map((v) => JSON.stringify({ [field]: [v] })),
      fc.string({ unit: 'grapheme', maxLength: 200 }),
    );
    await fc.assert(
      fc.asyncProperty(randomBody, async (body) => {
        expectRejected(await post(route[field], body), `random body ${shorten(body)}`, { codes: ['E_VALIDATION', 'E_INVALID_JSON'] });
      }),
      runs(80),
    );
    const corrupted = fc.record({ items: fc.array(validItemArb[field](), { minLength: 1, maxLength: 5 }), at: fc.nat(), stray: fc.constantFrom('*', '?', '{', '[', '\u0000', '\u00ff', 'é', '\u2028'), cut: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(corrupted, async ({ items, at, stray, cut }) => {
        const text = JSON.stringify({ [field]: tagRejected(items, field) });
        const i = at % text.length;
        // A stray character anywhere (inside a string it breaks an id, a date, an enum or a key), or a truncation.
        const body = cut ? text.slice(0, i) : `${text.slice(0, i)}${stray}${text.slice(i)}`;
        expectRejected(await post(route[field], body), `corrupted at ${i} (${cut ? 'cut' : JSON.stringify(stray)})`, { codes: ['E_VALIDATION', 'E_INVALID_JSON'] });
      }),
      runs(60),
    );
  }, 60_000);

  it('refuses more than 1,000 items, accepts exactly 1,000', async () => {
    const many = fc.sample(validItemArb[field](USERS), { numRuns: 1_001, seed: SEED });
    expectRejected(await post(route[field], JSON.stringify({ [field]: tagRejected(many, field) })), '1,001 items', { codes: ['E_VALIDATION'], index: -1 });
    const exactly = tagAccepted(many.slice(0, 1_000), field);
    expectAccepted(await post(route[field], JSON.stringify({ [field]: exactly })), '1,000 items', 1_000);
  }, 30_000);

  it('refuses wrong content types, encodings, deep nesting and oversized bodies', async () => {
    const valid = () => JSON.stringify({ [field]: tagRejected(fc.sample(validItemArb[field](), { numRuns: 3, seed: SEED + caseNo }), field) });
    const cases: { name: string; body: string | Buffer | undefined; headers: Record<string, string>; codes?: string[] }[] = [
      ...['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/octet-stream', 'text/json'].map((type) => ({
        name: type,
        body: valid(),
        headers: { 'Content-Type': type },
      })),
      { name: 'no content type', body: Buffer.from(valid()), headers: {} },
      { name: 'no body', body: undefined, headers: { 'Content-Type': 'application/json' } },
      { name: 'latin1 charset', body: valid(), headers: { 'Content-Type': 'application/json; charset=latin1' }, codes: ['E_UNSUPPORTED_MEDIA_TYPE'] },
      { name: 'utf-16 charset', body: valid(), headers: { 'Content-Type': 'application/json; charset=utf-16' } },
      { name: 'unknown encoding', body: valid(), headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'compress' }, codes: ['E_UNSUPPORTED_MEDIA_TYPE'] },
      { name: 'gzip header, plain body', body: valid(), headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' } },
      { name: 'gzip bomb (40 MB inflated)', body: gzipSync(Buffer.alloc(40 * 1024 ** 2, ' ')), headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, codes: ['E_PAYLOAD_TOO_LARGE'] },
      { name: 'body over 1 MiB', body: JSON.stringify({ [field]: [{ userId: 'x'.repeat(1024 ** 2) }] }), headers: { 'Content-Type': 'application/json' }, codes: ['E_PAYLOAD_TOO_LARGE'] },
      { name: 'a 900 kB id', body: JSON.stringify({ [field]: [{ userId: 'x'.repeat(900_000) }] }), headers: { 'Content-Type': 'application/json' }, codes: ['E_VALIDATION'] },
      ...[10, 1_000, 100_000].flatMap((depth) => [
        { name: `batch nested ${depth} deep`, body: `{"${field}":${nestedJson(depth, 'array')}}`, headers: { 'Content-Type': 'application/json' } },
        { name: `item nested ${depth} deep`, body: `{"${field}":[${nestedJson(depth, 'object')}]}`, headers: { 'Content-Type': 'application/json' } },
        { name: `body nested ${depth} deep`, body: nestedJson(depth, 'object'), headers: { 'Content-Type': 'application/json' } },
      ]),
      { name: 'two fields', body: JSON.stringify({ events: [], sessions: [] }), headers: { 'Content-Type': 'application/json' } },
      { name: 'a top-level array', body: valid().replace(/^\{"\w+":/, '').slice(0, -1), headers: { 'Content-Type': 'application/json' } },
      { name: 'an empty batch', body: JSON.stringify({ [field]: [] }), headers: { 'Content-Type': 'application/json' } },
    ];
    for (const c of cases) expectRejected(await post(route[field], c.body, c.headers), c.name, { codes: c.codes });
  }, 30_000);
});

describe('the boundaries of one event', () => {
  it('takes properties of exactly 8 KiB and refuses one byte more', async () => {
    const event = (eventId: string, bytes: number) => ({ eventId, userId: 'fz-user', type: 'mission_started', occurredAt: new Date(NOW - 1_000).toISOString(), properties: propertiesOfBytes(bytes) });
    const [fits] = tagAccepted([event('eight-kib', 8 * 1024)], 'events');
    expectAccepted(await post('/api/events', JSON.stringify({ events: [fits] })), '8 KiB of properties', 1);
    const [over] = tagRejected([event('over', 8 * 1024 + 1)], 'events');
    expectRejected(await post('/api/events', JSON.stringify({ events: [over] })), '8 KiB + 1', { index: 0 });
  });

  it('takes ids that are names of Object.prototype members (the recompute must not trip on them)', async () => {
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
    const reviews = names.flatMap((objectiveId, i) =>
      [0, 1, 2].map((n) => ({ eventId: `${objectiveId}-${n}`, userId: names[(i + n) % names.length], type: 'card_reviewed', occurredAt: new Date(NOW - (n + 1) * 60_000).toISOString(), properties: { objectiveId, correct: n > 0, responseMs: 1_000 } })),
    );
    expectAccepted(await post('/api/events', JSON.stringify({ events: tagAccepted(reviews, 'events') })), 'prototype-member ids', reviews.length);
  });

  it('takes an event 4 minutes ahead, refuses one 6 minutes ahead', async () => {
    const event = (eventId: string, aheadMs: number) => ({ eventId, userId: 'fz-user', type: 'self_report', occurredAt: new Date(Date.now() + aheadMs).toISOString(), properties: { stress: 5 } });
    expectAccepted(await post('/api/events', JSON.stringify({ events: tagAccepted([event('ahead', 4 * 60_000)], 'events') })), '4 minutes ahead', 1);
    expectRejected(await post('/api/events', JSON.stringify({ events: tagRejected([event('ahead', 6 * 60_000)], 'events') })), '6 minutes ahead', { index: 0 });
  });
});

// ---------------------------------------------------------------------------------------

const REJECTED_HTTP = /^rh\d+-/;

async function jobsOf(queue: Queue): Promise<Job[]> {
  return (await queue.getJobs(['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'], 0, -1)).filter(Boolean);
}

describe('after the HTTP fuzzing', () => {
  it('stored exactly the accepted items, and nothing of any rejected batch reached a queue, a worker or the database', async () => {
    await system.drained();
    const pool = system.infra.db.pool;
    const events = await pool.query<{ total: number; rejected: number }>(
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE event_id ~ '^rh[0-9]+-' OR user_id ~ '^rh[0-9]+-')::int AS rejected FROM behavioral_events`,
    );
    const sessions = await pool.query<{ total: number; rejected: number }>(
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE session_id ~ '^rh[0-9]+-' OR user_id ~ '^rh[0-9]+-')::int AS rejected FROM study_sessions`,
    );
    expect(events.rows[0]).toEqual({ total: accepted.events.size, rejected: 0 });
    expect(sessions.rows[0]).toEqual({ total: accepted.sessions.size, rejected: 0 });

    for (const name of [QUEUE_NAMES.behavioralEvent, QUEUE_NAMES.sessionCompleted]) {
      const jobs = await jobsOf(system.queue(name));
      const carrying = jobs.filter((job) => REJECTED_HTTP.test(String(job.id)) || /"rh\d+-/.test(JSON.stringify(job.data)));
      expect({ name, carrying: carrying.map((j) => j.id) }).toEqual({ name, carrying: [] });
      expect(jobs.length).toBeGreaterThan(0);
    }
    // No rejected payload reached a worker, and every recompute of the accepted ones succeeded.
    expect(await system.infra.registry.metrics()).not.toMatch(/ingest_rejected_total\{[^}]*\} [1-9]/);
    const failedRecomputes = await system.queue(QUEUE_NAMES.recompute).getJobs(['failed']);
    expect(failedRecomputes.map((j) => `${j.data?.userId}: ${j.failedReason}`)).toEqual([]);
    expect(tried.http).toBeGreaterThanOrEqual(700);
  }, 90_000);
});

describe('malformed jobs put straight onto the queues', () => {
  it('each fails at once with its validation reason, is counted, and the queue goes on', async () => {
    const kinds = [
      { field: 'events' as const, queue: QUEUE_NAMES.behavioralEvent, runs: 150 },
      { field: 'sessions' as const, queue: QUEUE_NAMES.sessionCompleted, runs: 100 },
    ];
    const bad = new Map<string, string[]>();
    for (const kind of kinds) {
      const id = idField[kind.field];
      const mutated = fc
        .record({ item: validItemArb[kind.field](), mutation: mutationArb[kind.field] })
        .map(({ item, mutation }) => mutation.apply({ ...item, [id]: tagId('mq-', item[id] as string), userId: tagId('mq-', item.userId as string) }));
      const payloads = fc.sample(fc.oneof({ weight: 4, arbitrary: mutated }, { weight: 1, arbitrary: fc.jsonValue() }), { numRuns: kind.runs, seed: SEED });
      const jobs = payloads.map((data, i) => ({ name: kind.field === 'events' ? 'card_reviewed' : 'session-completed', data, opts: { jobId: `mq-job-${i}-${kind.field}`, attempts: 5 } }));
      await system.queue(kind.queue).addBulk(jobs as never);
      tried.jobs += jobs.length;
      bad.set(kind.queue, jobs.map((j) => j.opts.jobId));
    }
    // A good event and a good session behind them.
    const goodEvent = { eventId: 'after-the-bad-jobs', userId: 'fz-user', type: 'self_report', occurredAt: new Date(NOW - 60_000).toISOString(), properties: { stress: 2 } };
    const goodSession = { sessionId: 'after-the-bad-jobs', userId: 'fz-user', startedAt: new Date(NOW - 3_600_000).toISOString(), endedAt: new Date(NOW - 1_800_000).toISOString(), cardsReviewed: 3, correctCount: 1 };
    await system.queue(QUEUE_NAMES.behavioralEvent).add('self_report', goodEvent, { jobId: goodEvent.eventId });
    await system.queue(QUEUE_NAMES.sessionCompleted).add('session-completed', goodSession, { jobId: goodSession.sessionId });
    await system.drained();

    const metrics = await system.infra.registry.metrics();
    for (const [queueName, ids] of bad) {
      const queue = system.queue(queueName);
      const states = await Promise.all(ids.map(async (id) => {
        const job = await queue.getJob(id);
        return { id, state: await job?.getState(), attempts: job?.attemptsMade, reason: job?.failedReason?.startsWith('invalid payload: ') };
      }));
      expect(states.filter((s) => s.state !== 'failed' || s.attempts !== 1 || !s.reason)).toEqual([]);
      expect(metrics).toContain(`ingest_rejected_total{queue="${queueName}"} ${ids.length}`);
      expect(await (await queue.getJob('after-the-bad-jobs'))?.getState()).toBe('completed');
    }
    const pool = system.infra.db.pool;
    expect((await pool.query(`SELECT count(*)::int AS n FROM behavioral_events WHERE event_id = 'after-the-bad-jobs'`)).rows[0].n).toBe(1);
    expect((await pool.query(`SELECT count(*)::int AS n FROM study_sessions WHERE session_id = 'after-the-bad-jobs'`)).rows[0].n).toBe(1);
    const stored = await pool.query(
      `SELECT (SELECT count(*)::int FROM behavioral_events WHERE event_id LIKE 'mq-%' OR user_id LIKE 'mq-%') AS events, (SELECT count(*)::int FROM study_sessions WHERE session_id LIKE 'mq-%' OR user_id LIKE 'mq-%') AS sessions`,
    );
    expect(stored.rows[0]).toEqual({ events: 0, sessions: 0 });
    expect(tried.jobs).toBeGreaterThanOrEqual(250);
  }, 60_000);
});

describe('health after the fuzzing', () => {
  it('is live, and a valid batch still gets 202', async () => {
    expect((await fetch(`${baseUrl}/health/live`)).status).toBe(200);
    const [event] = tagAccepted([{ eventId: 'still-alive', userId: 'fz-user', type: 'self_report', occurredAt: new Date().toISOString(), properties: { stress: 1 } }], 'events');
    expectAccepted(await post('/api/events', JSON.stringify({ events: [event] })), 'a valid batch at the end', 1);
  });
});
