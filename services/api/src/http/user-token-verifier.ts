import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import type { UserTokenConfig, UserTokenKeys } from '@shared/config/config';
import { isId } from '@shared/contracts/ids';
import { expiredToken, invalidToken, KeySetUnavailableError } from './api-error';

/**
 * Verification of the user-scoped tokens the study app issues for its students (SPEC 4.1),
 * with jose: HS256 with the shared secret, or RS256 / ES256 with the keys of the study
 * app's JWKS (fetched, cached and re-fetched for an unknown key id by jose's remote key set).
 */
export interface UserTokenVerifier {
  /** The user id (`sub`) of a valid token; throws a TokenRefusedError (401) for any other, a KeySetUnavailableError (503) if the JWKS cannot be fetched. */
  verify(token: string): Promise<string>;
}

/** Clocks of the study app and this API may disagree by this much before a token counts as expired. */
export const CLOCK_LEEWAY_SECONDS = 30;

const JWKS_FETCH_TIMEOUT_MS = 5_000;

// Errors of a JWKS look-up that the token caused (a key id or algorithm the set does not
// have); every other failure of the look-up means the set itself could not be had.
const TOKEN_CAUSED_KEY_ERRORS = new Set(['ERR_JWKS_NO_MATCHING_KEY', 'ERR_JWKS_MULTIPLE_MATCHING_KEYS', 'ERR_JOSE_NOT_SUPPORTED']);

const codeOf = (error: unknown): string | undefined => (typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : undefined);

function keysFor(keys: UserTokenKeys): { key: Uint8Array | JWTVerifyGetKey; algorithms: string[] } {
  if (keys.kind === 'secret') return { key: new TextEncoder().encode(keys.secret), algorithms: ['HS256'] };
  const remote = createRemoteJWKSet(new URL(keys.url), { cooldownDuration: keys.cooldownMs, cacheMaxAge: keys.cacheMaxAgeMs, timeoutDuration: JWKS_FETCH_TIMEOUT_MS });
  const key: JWTVerifyGetKey = async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      // Rethrown as is: jose itself handles a set with several matching keys.
      if (TOKEN_CAUSED_KEY_ERRORS.has(codeOf(error) ?? '')) throw error;
      throw new KeySetUnavailableError();
    }
  };
  return { key, algorithms: ['RS256', 'ES256'] };
}

function refusalFor(error: unknown): unknown {
  if (error instanceof KeySetUnavailableError) return error;
  const code = codeOf(error);
  // Only jose's own errors are a bad token; anything else is a bug and must surface as one.
  if (!code?.startsWith('ERR_J')) return error;
  // The log tells a token past its maximum age (or without iat) from one past its exp.
  const reason = (error as { claim?: unknown }).claim === 'iat' ? `${code} (iat)` : code;
  return code === 'ERR_JWT_EXPIRED' ? expiredToken(reason) : invalidToken(reason);
}

export function createUserTokenVerifier(config: UserTokenConfig): UserTokenVerifier {
  const { key, algorithms } = keysFor(config.keys);
  const options: JWTVerifyOptions = {
    algorithms,
    issuer: config.issuer,
    audience: config.audience,
    clockTolerance: CLOCK_LEEWAY_SECONDS,
    // A browser token without an expiry would be a read credential forever, and so would one
    // whose exp lies years ahead: its age since iat (required by this option) is bounded too.
    maxTokenAge: config.maxAgeSeconds,
    requiredClaims: ['sub', 'exp', 'iat'],
  };
  return {
    async verify(token) {
      const payload = await jwtVerify(token, key, options).then(
        (result) => result.payload,
        (error: unknown) => {
          throw refusalFor(error);
        },
      );
      // The subject becomes a user id in cache keys and queries: it must be one (SPEC 3).
      if (!isId(payload.sub)) throw invalidToken('sub-not-an-id');
      return payload.sub;
    },
  };
}
