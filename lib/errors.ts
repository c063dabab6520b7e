// Errors a user can act on. `code` is stable and maps onto CLI exit codes.

export type ErrorCode =
  | 'USAGE'
  | 'CONFIG'
  | 'MODEL_MISSING'
  | 'MODEL_INVALID'
  | 'DOWNLOAD'
  | 'OFFLINE'
  | 'BACKEND_UNAVAILABLE'
  | 'BACKEND_AUTH'
  | 'BACKEND_PROTOCOL'
  | 'GENERATION'
  | 'BLOCKED'
  | 'CANCELLED'
  | 'ABORTED';

export class CmdaiError extends Error {
  readonly code: ErrorCode;
  /** What the user can do about it, one sentence. */
  readonly hint?: string;

  constructor(code: ErrorCode, message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    // An aborted operation is an AbortError whatever raised it (the native addons included).
    this.name = code === 'ABORTED' ? 'AbortError' : 'CmdaiError';
    this.code = code;
    this.hint = options?.hint;
  }
}

/** A backend could not be reached (refused, timed out, gone): the next backend may answer. */
export class BackendUnavailableError extends CmdaiError {
  constructor(message: string, options?: { hint?: string; cause?: unknown }) {
    super('BACKEND_UNAVAILABLE', message, options);
    this.name = 'BackendUnavailableError';
  }
}

export function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || (err as CmdaiError).code === 'ABORTED');
}
