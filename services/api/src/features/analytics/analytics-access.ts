import { analyticsQuerySchema, generatePredictionsBodySchema } from '@shared/contracts/analytics-query';
import { ValidationError } from '@shared/errors/errors';
import { anotherUsersAnalytics } from '../../http/api-error';
import type { Principal } from '../../http/principal';

/**
 * Who may read which user's analytics: the one rule every analytics route applies
 * (SPEC 4.1). A service's API key reads any user it names; a user token reads only its own
 * user (`sub`), and naming no user means that user; while the API runs open, anyone reads
 * anyone.
 */
export function userReadableBy(principal: Principal, requestedUserId: string | undefined, where: 'query' | 'body'): string {
  if (principal.kind === 'user') {
    if (requestedUserId === undefined || requestedUserId === principal.userId) return principal.userId;
    throw anotherUsersAnalytics();
  }
  if (requestedUserId === undefined) {
    throw new ValidationError(`invalid ${where}: userId: required (only a user token may leave it out, for its own user)`, [{ path: 'userId', message: 'required' }]);
  }
  return requestedUserId;
}

// The requests of the analytics routes as they arrive: `userId` may be left out (a user
// token's own user), and is then filled in by userReadableBy.
export const analyticsRequestQuerySchema = analyticsQuerySchema.partial({ userId: true });
export const generatePredictionsRequestBodySchema = generatePredictionsBodySchema.partial({ userId: true });
