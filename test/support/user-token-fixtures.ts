import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { ApiApp } from '../../services/api/src/app';
import { Registry } from 'prom-client';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import type { Config } from '@shared/config/config';
import { createLogger, type Logger } from '@shared/logger/logger';
import { createApp } from '../../services/api/src/app';
import type { TestSystem } from './system';

/**
 * What the user-token tests share: tokens minted as a study app would (jose), a JWKS served
 * over HTTP on loopback, and the real app with a configuration and log of the test's choosing.
 */

export const STUDY_APP_SECRET = 'study-app-shared-secret-0123456789abcdef';
export const nowSeconds = () => Math.floor(Date.now() / 1000);

export interface Signer {
  alg: 'HS256' | 'RS256' | 'ES256';
  key: CryptoKey | Uint8Array;
  kid?: string;
}

export const secretSigner = (secret = STUDY_APP_SECRET): Signer => ({ alg: 'HS256', key: new TextEncoder().encode(secret) });

/**
 * A token for `sub`, issued now and valid for 5 minutes unless `iat` / `exp` say otherwise
 * (`null` leaves the claim out).
 */
export async function mintToken(signer: Signer, sub: string | undefined, claims: { exp?: number | null; iat?: number | null } & Omit<JWTPayload, 'exp' | 'iat'> = {}): Promise<string> {
  const { exp = nowSeconds() + 300, iat = nowSeconds(), ...rest } = claims;
  const jwt = new SignJWT({ ...rest, ...(exp === null ? {} : { exp }) }).setProtectedHeader({ alg: signer.alg, typ: 'JWT', ...(signer.kid ? { kid: signer.kid } : {}) });
  if (iat !== null) jwt.setIssuedAt(iat);
  if (sub !== undefined) jwt.setSubject(sub);
  return jwt.sign(signer.key);
}

/** An unsigned token (`alg: none`): what an attacker writes when a verifier trusts the header. */
export function unsignedToken(sub: string, exp = nowSeconds() + 300): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub, exp })}.`;
}

/** The same token with its claims swapped for others (the signature no longer matches them). */
export function withClaims(token: string, claims: object): string {
  const [header, , signature] = token.split('.');
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}

export interface KeyPair {
  signer: Signer;
  publicJwk: JWK;
}

export async function keyPair(alg: 'RS256' | 'ES256', kid: string): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { signer: { alg, key: privateKey, kid }, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** The study app's JWKS endpoint, on loopback: what it publishes can change while the API runs. */
export interface JwksServer {
  url: string;
  /** Requests it has answered. */
  fetches(): number;
  publish(keys: JWK[]): void;
  close(): Promise<void>;
}

export async function startJwksServer(keys: JWK[]): Promise<JwksServer> {
  let published = keys;
  let fetches = 0;
  const server: Server = createServer((req, res) => {
    fetches += 1;
    if (req.url !== '/.well-known/jwks.json') return void res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': 'application/jwk-set+json' }).end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    fetches: () => fetches,
    publish: (next) => void (published = next),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

// pino is a dependency of shared/ (not of the root): the same pino the process logger uses, writing to a test stream.
const pino = createRequire(require.resolve('../../shared/package.json'))('pino') as (options: object, stream: Writable) => Logger;

/** A logger like the process's (same redaction) whose JSON lines land in `sink`. */
export function loggerInto(sink: Record<string, unknown>[], level = 'debug'): Logger {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) sink.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return pino({ level, redact: { paths: ['req.headers.authorization', 'headers.authorization'], censor: '[redacted]' } }, stream);
}

/** The real app over a test system, with a configuration, logger or registry of the test's own. */
export function appWith(system: TestSystem, overrides: { config?: Partial<Config>; logger?: Logger; registry?: Registry } = {}): ApiApp {
  return createApp({
    config: { ...system.config, ...overrides.config },
    logger: overrides.logger ?? createLogger({ level: 'silent' }),
    db: system.infra.db,
    cache: system.infra.cache,
    publisher: system.publisher,
    queues: system.queues,
    redis: system.infra.redis,
    registry: overrides.registry ?? system.infra.registry,
  });
}
