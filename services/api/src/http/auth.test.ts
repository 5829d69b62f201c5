import type { NextFunction, Request, Response } from 'express';
import { createAuthenticator } from './auth';
import type { Principal } from './principal';

/** The authenticator's own logic: which callers it knows at once, and that only a key that matched is remembered. */
const KEYS = [
  { role: 'read' as const, key: 'read-key-0123456789ab' },
  { role: 'admin' as const, key: 'admin-key-0123456789a' },
  { role: 'ingest' as const, key: 'ingest-key-0123456789' },
];

/** Runs require(role) against a request with this Authorization header: the principal, or the error it passed on. */
async function through(auth: ReturnType<typeof createAuthenticator>, role: 'read' | 'ingest', authorization?: string): Promise<Principal | Error> {
  const req = { headers: authorization === undefined ? {} : { authorization } } as Request;
  const res = { locals: {} as Record<string, unknown>, setHeader: () => undefined } as unknown as Response;
  return new Promise((resolve) => {
    const next: NextFunction = (error?: unknown) => resolve(error ? (error as Error) : (res.locals.principal as Principal));
    void auth.require(role)(req, res, next);
  });
}

it('knows a key at once only after it has matched once, and only for a role it may use', async () => {
  const auth = createAuthenticator(KEYS);
  const header = `Bearer ${KEYS[0]!.key}`;
  expect(auth.knownCaller(header, 'read')).toBeNull();
  expect(await through(auth, 'read', header)).toMatchObject({ kind: 'api-key', role: 'read' });
  expect(auth.knownCaller(header, 'read')).toMatchObject({ kind: 'api-key', role: 'read' });
  // A read key is never known for another role; the admin key is known for every role.
  expect(auth.knownCaller(header, 'ingest')).toBeNull();
  await through(auth, 'ingest', `Bearer ${KEYS[1]!.key}`);
  expect(auth.knownCaller(`Bearer ${KEYS[1]!.key}`, 'read')).toMatchObject({ role: 'admin' });
});

it('remembers nothing of a refused or unknown credential', async () => {
  const auth = createAuthenticator(KEYS);
  expect(await through(auth, 'read', 'Bearer not-a-key')).toMatchObject({ status: 401 });
  expect(auth.knownCaller('Bearer not-a-key', 'read')).toBeNull();
  // A key of the wrong role is refused, but it did match: it is known for its own role only.
  expect(await through(auth, 'read', `Bearer ${KEYS[2]!.key}`)).toMatchObject({ status: 403 });
  expect(auth.knownCaller(`Bearer ${KEYS[2]!.key}`, 'read')).toBeNull();
  expect(auth.knownCaller(`Bearer ${KEYS[2]!.key}`, 'ingest')).toMatchObject({ role: 'ingest' });
});

it('knows the anonymous caller at once only while the API is open', () => {
  expect(createAuthenticator([]).knownCaller(undefined, 'read')).toEqual({ kind: 'open' });
  expect(createAuthenticator(KEYS).knownCaller(undefined, 'read')).toBeNull();
});
