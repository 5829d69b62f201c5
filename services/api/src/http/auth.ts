import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ApiKey, Role, UserTokenConfig } from '@shared/config/config';
import { forbidden, TokenRefusedError, unauthorized, userTokenOutsideAnalytics } from './api-error';
import { setPrincipal, type Principal } from './principal';
import { createUserTokenVerifier, type UserTokenVerifier } from './user-token-verifier';

/**
 * The one authenticator of the API: a bearer credential is an API key with a role (SPEC 2)
 * or, where a route admits them, a user token the study app issued for one student
 * (SPEC 4.1). It decides who is calling and whether that caller may use the route at all;
 * which user's analytics a user token may read is the analytics access rule's concern.
 *
 * Keys are compared as SHA-256 digests with timingSafeEqual, so neither the comparison time
 * nor a length difference tells anything about a key. A bearer header that named a key once
 * is remembered as it was sent (at most KNOWN_HEADERS of them; only keys that matched get in),
 * so a service's next requests cost a map lookup, not a SHA-256: a hit tells nothing the
 * first answer did not. Without keys (development) everything is open, but a user token that
 * is presented is still verified and scoped.
 */
export interface Authenticator {
  open: boolean;
  require(role: Role, options?: RouteAccess): RequestHandler;
  /**
   * The caller at once, when the Authorization header is a key already seen that may use a
   * route of `role`, or absent while the API is open; null when anything more is needed
   * (a first sight, a user token, a refusal), which require() then does.
   */
  knownCaller(authorization: string | undefined, role: Role): Principal | null;
}

/** How many bearer headers of known keys are remembered: a few per key (each service sends one). */
const KNOWN_HEADERS = 256;

export interface RouteAccess {
  /** Answer a missing or unknown credential with a basic-auth challenge (Bull Board in a browser). */
  basicRealm?: string;
  /** The route also serves the dashboard's user tokens (the analytics routes only). */
  userTokens?: boolean;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

// A compact JWS: three base64url parts (the last is empty for an unsigned `alg: none` token,
// which must reach the verifier to be refused there, not be taken for an unknown API key).
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

interface Presented {
  scheme: 'bearer' | 'basic';
  secret: string;
}

function presentedSecret(req: Request, allowBasic: boolean): Presented | null {
  const header = req.headers.authorization;
  if (!header) return null;
  const bearer = /^Bearer\s+(\S+)$/i.exec(header);
  if (bearer) return { scheme: 'bearer', secret: bearer[1]! };
  const basic = allowBasic ? /^Basic\s+(\S+)$/i.exec(header) : null;
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? { scheme: 'basic', secret: decoded.slice(colon + 1) } : null;
  }
  return null;
}

export function createAuthenticator(keys: ApiKey[], userTokens: UserTokenConfig | null = null): Authenticator {
  const known = keys.map((k) => ({ role: k.role, digest: digest(k.key) }));
  const verifier: UserTokenVerifier | null = userTokens ? createUserTokenVerifier(userTokens) : null;
  const open = known.length === 0;

  const apiKeyOf = (secret: string): { role: Role; keyId: string } | null => {
    const candidate = digest(secret);
    let found: Role | null = null;
    // Compare against every key (no early exit), so timing does not reveal which matched.
    for (const k of known) if (timingSafeEqual(candidate, k.digest) && found === null) found = k.role;
    // The key id names the key in logs and rate limits without being usable as one.
    return found ? { role: found, keyId: candidate.toString('hex').slice(0, 16) } : null;
  };

  // A bearer that is no API key but has a token's shape goes to the verifier when there is one.
  const isUserToken = (presented: Presented) => verifier !== null && presented.scheme === 'bearer' && COMPACT_JWS.test(presented.secret);

  const seenBearers = new Map<string, Principal & { kind: 'api-key' }>();
  const remember = (header: string, principal: Principal & { kind: 'api-key' }) => {
    if (seenBearers.size < KNOWN_HEADERS) seenBearers.set(header, principal);
  };

  const authenticate = async (header: string | undefined, presented: Presented | null): Promise<Principal> => {
    const seen = header === undefined ? undefined : seenBearers.get(header);
    if (seen) return seen;
    const apiKey = presented ? apiKeyOf(presented.secret) : null;
    if (apiKey) {
      const principal = { kind: 'api-key', ...apiKey } as const;
      if (presented!.scheme === 'bearer') remember(header!, principal);
      return principal;
    }
    if (presented && isUserToken(presented)) return { kind: 'user', userId: await verifier!.verify(presented.secret) };
    if (open) return { kind: 'open' };
    throw unauthorized();
  };

  const assertMayUse = (principal: Principal, role: Role, access: RouteAccess): void => {
    if (principal.kind === 'user' && !access.userTokens) throw userTokenOutsideAnalytics();
    if (principal.kind === 'api-key' && principal.role !== role && principal.role !== 'admin') throw forbidden(role);
  };

  return {
    open,
    require(role, access = {}) {
      return async (req: Request, res: Response, next: NextFunction) => {
        try {
          const header = req.headers.authorization;
          const principal = await authenticate(header, presentedSecret(req, Boolean(access.basicRealm)));
          setPrincipal(res, principal);
          assertMayUse(principal, role, access);
          next();
        } catch (error) {
          if (error instanceof TokenRefusedError) res.locals.tokenRefused = error.reason;
          const challenged = access.basicRealm && (error as { status?: number }).status === 401;
          if (challenged) res.setHeader('WWW-Authenticate', `Basic realm="${access.basicRealm}"`);
          next(error);
        }
      };
    },
    knownCaller(authorization, role) {
      if (authorization === undefined) return open ? { kind: 'open' } : null;
      const seen = seenBearers.get(authorization);
      return seen && (seen.role === role || seen.role === 'admin') ? seen : null;
    },
  };
}
