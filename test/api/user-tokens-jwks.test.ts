import request from 'supertest';
import type { ApiApp } from '../../services/api/src/app';
import { Registry } from 'prom-client';
import { JWKS_CACHE_DEFAULTS } from '@shared/config/config';
import { API_KEYS_ENV, bearer } from '../support/api-app';
import { startTestSystem, type TestSystem } from '../support/system';
import { appWith, keyPair, mintToken, nowSeconds, secretSigner, startJwksServer, unsignedToken, type JwksServer, type KeyPair } from '../support/user-token-fixtures';

/**
 * User tokens signed with the study app's own keys, published as a JWKS (SPEC 4.1): the
 * JWKS is served over HTTP on loopback, fetched and cached by the API, and rotated while the
 * API runs. The cooldown between two fetches for an unknown key id is shortened from its
 * 30 s default so the rotation does not make the test wait.
 */
const COOLDOWN_MS = 1_000;
const STUDENT = 'jwks-student';

let system: TestSystem;
let jwks: JwksServer;
let app: ApiApp;
let rsa: KeyPair;
let ec: KeyPair;

const read = async (token: string, userId?: string) => {
  const res = await request(app)
    .get(`/api/analytics/patterns${userId ? `?userId=${userId}` : ''}`)
    .set({ Authorization: `Bearer ${token}` });
  return { status: res.status, code: res.body.error?.code as string | undefined, userId: res.body.meta?.userId as string | undefined };
};
const served = { status: 200, code: undefined, userId: STUDENT };
const notValid = { status: 401, code: 'E_UNAUTHORIZED', userId: undefined };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  [rsa, ec] = await Promise.all([keyPair('RS256', 'rsa-2026-11'), keyPair('ES256', 'ec-2026-11')]);
  jwks = await startJwksServer([rsa.publicJwk, ec.publicJwk]);
  system = await startTestSystem({ workers: false, env: { API_KEYS: API_KEYS_ENV, AUTH_JWKS_URL: jwks.url } });
  const keys = system.config.userTokens!.keys;
  app = appWith(system, { config: { userTokens: { ...system.config.userTokens!, keys: { ...keys, ...JWKS_CACHE_DEFAULTS, cooldownMs: COOLDOWN_MS } as typeof keys } } });
}, 60_000);
afterAll(async () => {
  await system?.stop();
  await jwks?.close();
});

it('accepts RS256 and ES256 tokens of the published keys, fetching the JWKS once for many reads', async () => {
  const before = jwks.fetches();
  for (const signer of [rsa.signer, ec.signer]) {
    const token = await mintToken(signer, STUDENT);
    expect(await read(token)).toEqual(served);
    expect(await read(token, STUDENT)).toEqual(served);
    expect(await read(token, 'someone-else')).toEqual({ status: 403, code: 'E_FORBIDDEN', userId: undefined });
  }
  for (let i = 0; i < 20; i++) expect(await read(await mintToken(i % 2 ? rsa.signer : ec.signer, STUDENT))).toEqual(served);
  expect(jwks.fetches() - before).toBe(1);
});

it('refuses what the JWKS does not vouch for: a key of its own, HS256, alg none, an expired token', async () => {
  const stranger = await keyPair('RS256', 'rsa-2026-11');
  expect(await read(await mintToken(stranger.signer, STUDENT))).toEqual(notValid);
  const unknownKid = await keyPair('ES256', 'not-published');
  expect(await read(await mintToken(unknownKid.signer, STUDENT))).toEqual(notValid);
  // HS256 with the public key's modulus as the "secret": the classic algorithm confusion.
  expect(await read(await mintToken(secretSigner(String(rsa.publicJwk.n)), STUDENT))).toEqual(notValid);
  expect(await read(unsignedToken(STUDENT))).toEqual(notValid);
  expect(await read(await mintToken(rsa.signer, STUDENT, { exp: nowSeconds() - 3600 }))).toEqual(notValid);
});

it('follows a key rotation while the API runs: the new key is fetched on first sight, the retired one refused', async () => {
  expect(await read(await mintToken(rsa.signer, STUDENT))).toEqual(served);
  const next = await keyPair('RS256', 'rsa-2026-12');
  // The study app publishes its new key and retires the old one; the API still holds the old set.
  jwks.publish([next.publicJwk, ec.publicJwk]);
  await sleep(COOLDOWN_MS + 50);
  const before = jwks.fetches();
  expect(await read(await mintToken(next.signer, STUDENT))).toEqual(served);
  expect(jwks.fetches() - before).toBe(1);
  await sleep(COOLDOWN_MS + 50);
  const unknownKids = await Promise.all([0, 1, 2, 3, 4].map(async (i) => mintToken((await keyPair('ES256', `random-${i}`)).signer, STUDENT)));
  expect(await read(await mintToken(rsa.signer, STUDENT))).toEqual(notValid);
  // Within the cooldown, unknown key ids do not make the API fetch the JWKS again.
  const afterRetired = jwks.fetches();
  const started = Date.now();
  for (const token of unknownKids) expect(await read(token)).toEqual(notValid);
  if (Date.now() - started < COOLDOWN_MS) expect(jwks.fetches() - afterRetired).toBe(0);
  expect(await read(await mintToken(ec.signer, STUDENT))).toEqual(served);
});

it('503 with Retry-After, not 401, while the JWKS cannot be fetched; API keys are unaffected', async () => {
  const gone = await startJwksServer([]);
  const url = gone.url;
  await gone.close();
  const keys = { kind: 'jwks' as const, url, ...JWKS_CACHE_DEFAULTS };
  const cut = appWith(system, { config: { userTokens: { ...system.config.userTokens!, keys } }, registry: new Registry() });
  const res = await request(cut)
    .get(`/api/analytics/patterns?userId=${STUDENT}`)
    .set({ Authorization: `Bearer ${await mintToken(rsa.signer, STUDENT)}` });
  expect({ status: res.status, code: res.body.error?.code, retryAfter: res.headers['retry-after'] }).toEqual({ status: 503, code: 'E_DEPENDENCY_UNAVAILABLE', retryAfter: '5' });
  expect((await request(cut).get(`/api/analytics/patterns?userId=${STUDENT}`).set(bearer('read'))).status).toBe(200);
});
