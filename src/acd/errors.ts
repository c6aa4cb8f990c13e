import { type ErrorKind, type FieldIssue, TellerError } from '../core/index';

/** Every ACD failure code; stable, never reused. */
export const acdErrorCodes = {
  ACD_INVALID_CONFIG: 'invalid',
  ACD_UNKNOWN_QUEUE: 'not-found',
  ACD_UNKNOWN_AGENT: 'not-found',
  ACD_UNKNOWN_INTERACTION: 'not-found',
  ACD_DUPLICATE_INTERACTION: 'conflict',
  ACD_DUPLICATE_AGENT: 'conflict',
  ACD_QUEUE_NOT_EMPTY: 'conflict',
  ACD_AGENT_LOGGED_OUT: 'conflict',
  ACD_AGENT_LOGGED_IN: 'conflict',
  ACD_AGENT_HAS_WORK: 'conflict',
  ACD_NOT_OFFERED: 'conflict',
  ACD_NOT_CONNECTED: 'conflict',
  ACD_NOT_IN_WRAP_UP: 'conflict',
  ACD_NOT_WAITING: 'conflict',
  ACD_ALREADY_CONNECTED: 'conflict',
  ACD_ILLEGAL_TRANSITION: 'internal',
  ACD_INVALID_SNAPSHOT: 'invalid',
  ACD_INVALID_SCENARIO: 'invalid',
  ACD_UNKNOWN_WRAP_UP_CODE: 'invalid',
  ACD_INVALID_HISTORY_RANGE: 'invalid',
  ACD_NO_HISTORY: 'not-found',
} as const satisfies Record<string, ErrorKind>;
export type AcdErrorCode = keyof typeof acdErrorCodes;

export class AcdError extends TellerError {
  declare readonly code: AcdErrorCode;

  constructor(code: AcdErrorCode, message: string, options?: { fields?: FieldIssue[]; cause?: unknown }) {
    super(code, acdErrorCodes[code], message, options);
    this.name = 'AcdError';
  }
}

/** Turns zod issues into the field list every transport knows how to show. */
export function issuesToFields(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  prefix = '',
): FieldIssue[] {
  return issues.map((issue) => ({
    field: [prefix, ...issue.path.map(String)].filter((part) => part !== '').join('.'),
    message: issue.message,
  }));
}
