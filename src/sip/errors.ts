import { type ErrorKind, TellerError } from '../core/index';
import type { Headers } from './headers';

/**
 * Every failure the SIP stack reports, by stable code (never reused). A SIP failure carries the
 * status and reason a UAS would answer with (drachtio's `SipError`), so the server turns it into
 * a response without a second table.
 */
export const sipErrorCodes = {
  /** The bytes are not a SIP message at all, or the header section is not terminated. */
  SIP_PARSE_MESSAGE: 'invalid',
  SIP_PARSE_START_LINE: 'invalid',
  SIP_PARSE_VERSION: 'invalid',
  SIP_PARSE_HEADER: 'invalid',
  SIP_PARSE_URI: 'invalid',
  SIP_PARSE_CONTENT_LENGTH: 'invalid',
  SIP_PARSE_DUPLICATE_HEADER: 'invalid',
  SIP_PARSE_TOO_LARGE: 'too-large',
  SIP_MISSING_HEADER: 'invalid',
  SIP_BAD_REQUEST: 'invalid',
  SIP_UNSUPPORTED: 'invalid',
  SIP_SDP_INVALID: 'invalid',
  SIP_SDP_NOT_ACCEPTABLE: 'invalid',
  SIP_DIGEST_INVALID: 'invalid',
  SIP_TRANSACTION_STATE: 'conflict',
  SIP_TRANSACTION_TIMEOUT: 'unavailable',
  SIP_TRANSPORT: 'unavailable',
  SIP_DIALOG_STATE: 'conflict',
  SIP_DIALOG_MISMATCH: 'invalid',
} as const satisfies Record<string, ErrorKind>;

export type SipErrorCode = keyof typeof sipErrorCodes;

/**
 * What survived of a message whose parse failed: enough to answer a malformed request
 * (RFC 3261 §8.2.6 copies Via, From, To, Call-ID and CSeq verbatim), or to know it was a
 * response and drop it.
 */
export interface Salvage {
  readonly isResponse: boolean;
  /** The request method when the start line got that far. */
  readonly method?: string;
  readonly headers: Headers;
}

/** The sip module's one error class: a TellerError with the SIP status and reason it maps to. */
export class SipError extends TellerError {
  declare readonly code: SipErrorCode;
  /** The SIP response status a UAS answers this failure with (400, 505, 513, 488, ...). */
  readonly status: number;
  /** The reason phrase to send; short, and never carries a secret. */
  readonly reason: string;
  /** For parse failures: the part of the message that could still be read. */
  readonly salvage: Salvage | undefined;

  constructor(
    code: SipErrorCode,
    status: number,
    reason: string,
    options?: { cause?: unknown; salvage?: Salvage; message?: string },
  ) {
    super(code, sipErrorCodes[code], options?.message ?? reason, { cause: options?.cause });
    this.name = 'SipError';
    this.status = status;
    this.reason = reason;
    this.salvage = options?.salvage;
  }
}

export function isSipError(value: unknown): value is SipError {
  return value instanceof SipError;
}

/** A 400 for a header or URI that breaks the RFC 3261 grammar; `what` names the part. */
export function badSyntax(code: SipErrorCode, what: string): SipError {
  return new SipError(code, 400, `Malformed ${what}`);
}
