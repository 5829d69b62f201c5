import { z } from 'zod';
import { idSchema } from './ids';

/**
 * `GET /api/users/recent` (role read): the users with the latest activity, for a picker (the
 * demo dashboard's) — who to look at, not what they did. A user appears once any of their
 * events or sessions is stored; `lastActivityAt` is their latest event's `occurredAt` or
 * session's `endedAt` (analytics_users).
 */
export const RECENT_USERS_DEFAULT_LIMIT = 20;
export const RECENT_USERS_MAX_LIMIT = 100;

export const recentUsersQuerySchema = z.strictObject({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, `must be a whole number from 1 to ${RECENT_USERS_MAX_LIMIT}`)
    .transform(Number)
    .pipe(z.number().int().min(1).max(RECENT_USERS_MAX_LIMIT))
    .optional(),
});

export const recentUsersResponseSchema = z.object({
  data: z.object({
    users: z.array(z.object({ userId: idSchema, lastActivityAt: z.iso.datetime({ offset: true }) })),
  }),
});
export type RecentUsersResponse = z.infer<typeof recentUsersResponseSchema>;
