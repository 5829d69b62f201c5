import type { Role } from '@shared/config/config';
import type { ApiResponse } from './every-request';

/**
 * Who is calling, as the authenticator established it: a service with an API key of a role,
 * a student's dashboard with a user token (its `sub`), or anyone while the API runs open
 * (development without API_KEYS).
 */
export type Principal = { kind: 'api-key'; role: Role; keyId: string } | { kind: 'user'; userId: string } | { kind: 'open' };

export function setPrincipal(res: Pick<ApiResponse, 'locals'>, principal: Principal): void {
  res.locals.principal = principal;
}

/** The caller of a request that passed authentication. */
export function principalOf(res: Pick<ApiResponse, 'locals'>): Principal {
  const principal = res.locals.principal as Principal | undefined;
  // Fail closed: a handler asking before authentication ran is a wiring bug, never "anyone".
  if (!principal) throw new Error('no principal: the route is missing auth.require()');
  return principal;
}

/** The caller as the request log names it: never a credential, only whose it is. */
export function subjectOf(principal: Principal): string {
  switch (principal.kind) {
    case 'api-key':
      return `${principal.role}-key:${principal.keyId}`;
    case 'user':
      return `user:${principal.userId}`;
    case 'open':
      return 'open';
  }
}

/** Bindings for the request log: the subject once authentication has named one, nothing before. */
export function subjectBindings(res: Pick<ApiResponse, 'locals'>): { subject?: string } {
  const principal = res.locals?.principal as Principal | undefined;
  return principal ? { subject: subjectOf(principal) } : {};
}
