/**
 * The base of every error class here: its `name` is its class's, and `instanceof` holds
 * whatever the compilation target (a subclass of a built-in needs its prototype set).
 */
export class NamedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/**
 * Errors that carry an HTTP status and a stable code, so one error handler can map every
 * failure to `{ error: { code, message } }`.
 */
export class AppError extends NamedError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details?: unknown) {
    super(400, 'E_VALIDATION', message, details);
  }
}

/**
 * A dependency is down. `message` is what the client reads, so it names the dependency and
 * nothing of the driver; the driver's own error travels as `cause`, for the log only.
 */
export class DependencyUnavailableError extends AppError {
  constructor(
    readonly dependency: 'redis' | 'postgres',
    message: string,
    readonly retryAfterSeconds = 1,
    cause?: unknown,
  ) {
    super(503, 'E_DEPENDENCY_UNAVAILABLE', message);
    if (cause !== undefined) this.cause = cause;
  }
}
