import pino from 'pino';

export type Logger = pino.Logger;

/**
 * Keys whose values never reach a log line, wherever they appear in a logged object.
 * Card numbers and PINs are masked at the source as well; this is the second net.
 */
const secretKeys = [
  'password',
  'newPassword',
  'pin',
  'newPin',
  'otp',
  'cardNumber',
  'pan',
  'token',
  'authorization',
  'cookie',
  'set-cookie',
  'passwordHash',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const paths = secretKeys.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `req.headers.${key}`]);
  return pino({ level, redact: { paths, censor: '[redacted]' } }, destination);
}

/** Masks a card or account number to its last four digits: `************0001`. */
export function maskNumber(value: string): string {
  const digits = value.replace(/\s+/g, '');
  if (digits.length <= 4) return '*'.repeat(digits.length);
  return '*'.repeat(digits.length - 4) + digits.slice(-4);
}
