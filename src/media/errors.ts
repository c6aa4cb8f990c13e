import { type ErrorKind, TellerError } from '../core/index';

/**
 * Every failure the media module reports, by stable code. Codes are never reused; the call
 * layer maps them (a port range exhausted becomes a 503 to the caller, a missing prompt a log line).
 */
export const mediaErrorCodes = {
  MEDIA_BAD_PACKET: 'invalid',
  MEDIA_BAD_FILE: 'invalid',
  MEDIA_UNSUPPORTED_FORMAT: 'invalid',
  MEDIA_BAD_REQUEST: 'invalid',
  MEDIA_BAD_STATE: 'conflict',
  MEDIA_NOT_FOUND: 'not-found',
  MEDIA_NO_PORT: 'limit',
  MEDIA_PORT_IN_USE: 'conflict',
  MEDIA_CROSS_WORKER: 'conflict',
  MEDIA_WORKER_DIED: 'unavailable',
  MEDIA_CLOSED: 'unavailable',
  MEDIA_IO: 'internal',
  MEDIA_INTERNAL: 'internal',
} as const satisfies Record<string, ErrorKind>;

export type MediaErrorCode = keyof typeof mediaErrorCodes;

/** The media module's one error class: a TellerError whose code starts with `MEDIA_`. */
export class MediaError extends TellerError {
  declare readonly code: MediaErrorCode;

  constructor(code: MediaErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, mediaErrorCodes[code], message, options);
    this.name = 'MediaError';
  }
}

export function isMediaErrorCode(value: string): value is MediaErrorCode {
  return Object.hasOwn(mediaErrorCodes, value);
}
