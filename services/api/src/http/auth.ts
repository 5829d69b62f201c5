import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ApiKey, Role } from '@shared/config/config';
import { forbidden, unauthorized } from './api-error';

/**
 * API keys with roles (SPEC 2). Keys are compared as SHA-256 digests with timingSafeEqual,
 * so neither the comparison time nor a length difference tells anything about a key.
 * Without keys (development) everything is open.
 */
export interface Authenticator {
  open: boolean;
  require(role: Role, options?: { basicRealm?: string }): RequestHandler;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

function presentedKey(req: Request, allowBasic: boolean): string | null {
  const header = req.headers.authorization;
  if (!header) return null;
  const bearer = /^Bearer\s+(\S+)$/i.exec(header);
  if (bearer) return bearer[1]!;
  const basic = allowBasic ? /^Basic\s+(\S+)$/i.exec(header) : null;
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : null;
  }
  return null;
}

export function createAuthenticator(keys: ApiKey[]): Authenticator {
  const known = keys.map((k) => ({ role: k.role, digest: digest(k.key) }));
  const roleOf = (key: string): Role | null => {
    const candidate = digest(key);
    let found: Role | null = null;
    // Compare against every key (no early exit), so timing does not reveal which matched.
    for (const k of known) if (timingSafeEqual(candidate, k.digest) && found === null) found = k.role;
    return found;
  };
  return {
    open: known.length === 0,
    require(role, options = {}) {
      return (req: Request, res: Response, next: NextFunction) => {
        if (known.length === 0) return next();
        const key = presentedKey(req, Boolean(options.basicRealm));
        const granted = key ? roleOf(key) : null;
        if (!granted) {
          if (options.basicRealm) res.setHeader('WWW-Authenticate', `Basic realm="${options.basicRealm}"`);
          return next(unauthorized());
        }
        if (granted !== role && granted !== 'admin') return next(forbidden(role));
        res.locals.role = granted;
        res.locals.apiKeyId = digest(key!).toString('hex').slice(0, 16);
        next();
      };
    },
  };
}
