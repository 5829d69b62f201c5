import { Router } from 'express';
import { issueDetails } from '@shared/contracts/batch';
import { RECENT_USERS_DEFAULT_LIMIT, recentUsersQuerySchema, type RecentUsersResponse } from '@shared/contracts/recent-users';
import { isDatabaseUnavailable } from '@shared/db/database-errors';
import { DependencyUnavailableError, ValidationError } from '@shared/errors/errors';
import type { RecentUser } from '@shared/store/recent-users';
import type { Authenticator } from '../../http/auth';

export const RECENT_USERS_PATH = '/api/users/recent';

/**
 * GET /api/users/recent?limit=N: the users with the latest activity, latest first — the
 * student picker of a dashboard for staff (the demo's). For a read (or admin) key, or anyone
 * while the API runs open; a user token gets 403, as on every route outside the analytics:
 * a student may not list the others. Never cached: it is one index scan, read rarely.
 */
export function recentUsersRouter(deps: { auth: Authenticator; recentUsers: (limit: number) => Promise<RecentUser[]> }): Router {
  const router = Router();
  router.get(RECENT_USERS_PATH, deps.auth.require('read'), async (req, res) => {
    const query = recentUsersQuerySchema.safeParse(req.query);
    if (!query.success) {
      const details = issueDetails(query.error, '(query)');
      throw new ValidationError(`invalid query: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, details);
    }
    let users: RecentUser[];
    try {
      users = await deps.recentUsers(query.data.limit ?? RECENT_USERS_DEFAULT_LIMIT);
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw new DependencyUnavailableError('postgres', 'the analytics store is unavailable; retry later', 5, error);
      throw error;
    }
    const body: RecentUsersResponse = { data: { users: users.map((u) => ({ userId: u.userId, lastActivityAt: u.lastActivityAt.toISOString() })) } };
    res.json(body);
  });
  return router;
}
