/**
 * What went wrong, in terms every transport can map: HTTP picks a status from `kind`,
 * SIP a response code, the IVR a prompt. Codes are stable strings, never reused.
 */
export const errorKinds = [
  'invalid',
  'unauthenticated',
  'forbidden',
  'not-found',
  'conflict',
  'limit',
  'too-large',
  'rate-limited',
  'unavailable',
  'internal',
] as const;
export type ErrorKind = (typeof errorKinds)[number];

export interface FieldIssue {
  /** Dotted path of the offending field, e.g. `body.roles.0`. */
  field: string;
  message: string;
}

export class TellerError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly fields: readonly FieldIssue[];

  constructor(
    code: string,
    kind: ErrorKind,
    message: string,
    options?: { fields?: FieldIssue[]; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TellerError';
    this.code = code;
    this.kind = kind;
    this.fields = options?.fields ?? [];
  }
}

export function isTellerError(value: unknown): value is TellerError {
  return value instanceof TellerError;
}
