import { type ErrorKind, TellerError } from '../core/index';

/** Every failure the calls module reports to an application, by stable code (never reused). */
export const callErrorCodes = {
  /** The call is over: nothing more can be played, recorded or handed on. */
  CALL_ENDED: 'conflict',
  /** The call was answered without a recording (or it stopped), so it cannot be paused. */
  CALL_NOT_RECORDING: 'conflict',
  /** No call in progress has that id. */
  CALL_NOT_FOUND: 'not-found',
  /** The call cannot take that now: already ringing someone, already connected, or nobody to supervise. */
  CALL_BUSY: 'conflict',
} as const satisfies Record<string, ErrorKind>;

export type CallErrorCode = keyof typeof callErrorCodes;

export class CallError extends TellerError {
  declare readonly code: CallErrorCode;

  constructor(code: CallErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, callErrorCodes[code], message, options);
    this.name = 'CallError';
  }
}
