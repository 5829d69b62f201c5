import { AppError } from '@shared/errors/errors';

/** HTTP-only errors: authentication and routing. Domain errors live in shared/errors. */
export const unauthorized = (message = 'a valid API key is required (Authorization: Bearer <key>)') => new AppError(401, 'E_UNAUTHORIZED', message);
export const forbidden = (role: string) => new AppError(403, 'E_FORBIDDEN', `this route needs the ${role} role`);
export const notFound = (path: string) => new AppError(404, 'E_NOT_FOUND', `no route ${path}`);
