import { type ErrorKind, TellerError } from '../core/index';

/**
 * Failures of the composition root's own adapters (the phone-banking line's HTTP and prompt
 * plumbing), by stable code, never reused. Errors of the wired modules pass through unchanged.
 */
export const appErrorCodes = {
  /** An `http` step's server could not be reached, or did not answer in time. */
  APP_HTTP_UNREACHABLE: 'unavailable',
  APP_HTTP_TOO_LARGE: 'too-large',
  APP_HTTP_BAD_JSON: 'unavailable',
  /** The IVR asked about a call that is no longer on the line. */
  APP_CALL_GONE: 'conflict',
  /** The caller is already keying something for their agent (a verification in progress). */
  APP_CALL_BUSY: 'conflict',
  /** Only a voice contact connected to its agent can be sent to the IVR for verification. */
  APP_NOT_A_LIVE_CALL: 'conflict',
  /** A prompt id that is not a file of the prompt library (a flow cannot name a path). */
  APP_PROMPT_INVALID: 'invalid',
} as const satisfies Record<string, ErrorKind>;

export type AppErrorCode = keyof typeof appErrorCodes;

export class AppError extends TellerError {
  declare readonly code: AppErrorCode;

  constructor(code: AppErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, appErrorCodes[code], message, options);
    this.name = 'AppError';
  }
}
