/**
 * Typed errors with a stable `code` (DESIGN.md §6.8). They are created where the failure is
 * understood and mapped to HTTP once, in api/app.ts.
 */
export class AgentError extends Error {
  readonly code: string;
  readonly httpStatus: number;
  readonly details: unknown;

  constructor(code: string, message: string, opts: { httpStatus?: number; details?: unknown; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.httpStatus = opts.httpStatus ?? 500;
    this.details = opts.details;
  }
}

/** One problem of a configuration, as `path: message`. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** The configuration is unusable. main.ts exits 78 (EX_CONFIG) on it. */
export class ConfigError extends AgentError {
  readonly issues: ConfigIssue[];
  constructor(source: string, issues: ConfigIssue[]) {
    super('config_invalid', `${source}: ${issues.length} problem${issues.length === 1 ? '' : 's'}`, {
      httpStatus: 400,
      details: issues,
    });
    this.issues = issues;
  }
}

/** Another agent already owns the data directory. */
export class DataDirLockedError extends AgentError {
  constructor(dataDir: string, ownerPid: number) {
    super(
      'data_dir_locked',
      `another inference-mesh agent (pid ${ownerPid}) is already using the data directory ${dataDir}; ` +
        'stop it first, or give this one its own directory with --data-dir',
    );
  }
}

/** A request body or parameter failed validation. */
export class BadRequestError extends AgentError {
  constructor(message: string, details?: unknown) {
    super('bad_request', message, { httpStatus: 400, details });
  }
}

export class NotFoundError extends AgentError {
  constructor(message: string) {
    super('not_found', message, { httpStatus: 404 });
  }
}

/** The message of anything thrown, without a stack, for logs and status fields. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    const code = (err as { code?: unknown }).code;
    const prefix = typeof code === 'string' && !(err instanceof AgentError) && !err.message.includes(code) ? `${code} ` : '';
    return `${prefix}${err.message}${cause && !err.message.includes(cause.slice(2)) ? cause : ''}`;
  }
  return String(err);
}
