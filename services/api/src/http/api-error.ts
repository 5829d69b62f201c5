import { AppError } from '@shared/errors/errors';

/** HTTP-only errors: authentication, access and routing. Domain errors live in shared/errors. */
export const unauthorized = (message = 'a valid API key is required (Authorization: Bearer <key>)') => new AppError(401, 'E_UNAUTHORIZED', message);
export const forbidden = (role: string) => new AppError(403, 'E_FORBIDDEN', `this route needs the ${role} role`);
export const notFound = (path: string) => new AppError(404, 'E_NOT_FOUND', `no route ${path}`);

/**
 * A refused user token. The client is told enough to know whether to fetch a fresh token,
 * never what the token held; `reason` (a jose error code) is for the request log only.
 */
export class TokenRefusedError extends AppError {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(401, 'E_UNAUTHORIZED', message);
    this.name = 'TokenRefusedError';
  }
}
export const expiredToken = (reason: string) => new TokenRefusedError(reason, 'the token has expired; get a fresh one from the study app');
export const invalidToken = (reason: string) => new TokenRefusedError(reason, 'the token is not valid');
export const userTokenOutsideAnalytics = () => new AppError(403, 'E_FORBIDDEN', 'a user token may call only the analytics routes');
export const anotherUsersAnalytics = () => new AppError(403, 'E_FORBIDDEN', "a user token may read only its own user's analytics");

/** The study app's JWKS cannot be fetched: no token can be checked, which is not the token's fault. */
export class KeySetUnavailableError extends AppError {
  readonly retryAfterSeconds = 5;
  constructor() {
    super(503, 'E_DEPENDENCY_UNAVAILABLE', "the study app's token keys (JWKS) cannot be fetched; retry later");
    this.name = 'KeySetUnavailableError';
  }
}
