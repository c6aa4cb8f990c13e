import { type ErrorKind, TellerError } from '../core/index';

/**
 * Every error the IVR raises, with its stable code and the kind each transport maps. Codes are
 * never reused for another meaning. Errors of other modules (the bank's `BANK_...`) reach a
 * flow unchanged through the ports, so a flow can branch on them by code.
 */
export const ivrErrors = {
  IVR_SPEECH_INVALID: 'invalid',
  IVR_SPEECH_RANGE: 'invalid',
  IVR_EXPR_SYNTAX: 'invalid',
  IVR_EXPR_TYPE: 'invalid',
  IVR_EXPR_SECRET: 'forbidden',
  IVR_FLOW_INVALID: 'invalid',
  IVR_FLOW_NOT_FOUND: 'not-found',
  IVR_FLOW_VERSION_NOT_FOUND: 'not-found',
  IVR_FLOW_NOTHING_TO_ROLL_BACK: 'conflict',
  IVR_FLOW_SUBFLOW_INACTIVE: 'conflict',
  IVR_FLOW_VERSION_TAKEN: 'conflict',
  IVR_SESSION_TRANSITION: 'internal',
  IVR_SESSION_NOT_STARTED: 'conflict',
  IVR_STEP_VALUE: 'invalid',
  IVR_AMOUNT_INVALID: 'invalid',
  IVR_VERIFICATION_REQUIRED: 'forbidden',
  IVR_NOT_IDENTIFIED: 'forbidden',
  IVR_PORT_TIMEOUT: 'unavailable',
  IVR_PLAYBACK_FAILED: 'unavailable',
  IVR_RECORDING_PAUSE_FAILED: 'unavailable',
  IVR_HTTP_STATUS: 'unavailable',
  IVR_LOOP: 'internal',
  IVR_SUBFLOW_DEPTH: 'internal',
  IVR_TOO_MANY_ERRORS: 'internal',
  IVR_INTERNAL: 'internal',
} as const satisfies Record<string, ErrorKind>;

export type IvrErrorCode = keyof typeof ivrErrors;

export function ivrError(code: IvrErrorCode, message: string, cause?: unknown): TellerError {
  return new TellerError(code, ivrErrors[code], message, cause === undefined ? undefined : { cause });
}
