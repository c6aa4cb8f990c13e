import { createHash, createHmac, randomBytes, randomInt, scrypt, timingSafeEqual } from 'node:crypto';
import { bankError } from './errors';

/**
 * The customer's secrets, handled so they never come back out: the telephone PIN is kept
 * only as a salted scrypt hash (`scrypt$<log2 N>$<r>$<p>$<salt>$<hash>`, parameters inside so
 * they can be raised later), one-time codes only as a hash bound to their verification, and
 * card numbers only as a keyed hash (HMAC-SHA256) plus the last four digits.
 */
const pinParams = { log2N: 14, r: 8, p: 1 };
const keyLength = 32;

function derive(secret: string, salt: Buffer, log2N: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** log2N;
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, keyLength, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

const pinPattern = /^\d{6}$/;

export function assertPinFormat(pin: string): void {
  if (!pinPattern.test(pin)) throw bankError('BANK_PIN_FORMAT', 'a telephone PIN is six digits');
}

/** Hashes a PIN; `salt` is only given by the deterministic demo seed. */
export async function hashPin(pin: string, salt: Buffer = randomBytes(16)): Promise<string> {
  assertPinFormat(pin);
  const key = await derive(pin, salt, pinParams.log2N, pinParams.r, pinParams.p);
  return [
    'scrypt',
    pinParams.log2N,
    pinParams.r,
    pinParams.p,
    salt.toString('base64'),
    key.toString('base64'),
  ].join('$');
}

export async function pinMatches(pin: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt' || !pinPattern.test(pin)) return false;
  const [, log2N, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, 'base64');
  const actual = await derive(pin, Buffer.from(salt, 'base64'), Number(log2N), Number(r), Number(p));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** A fresh six-digit one-time code. */
export function newOtp(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/** The stored form of a one-time code, bound to its verification so it cannot be moved to another. */
export function otpDigest(verificationId: string, code: string): string {
  return createHash('sha256').update(verificationId).update('\n').update(code).digest('hex');
}

export function otpMatches(verificationId: string, code: string, stored: string): boolean {
  const a = Buffer.from(otpDigest(verificationId, code), 'hex');
  const b = Buffer.from(stored, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

const panPattern = /^\d{12,19}$/;

export function isCardNumber(value: string): boolean {
  return panPattern.test(value);
}

/** The lookup key of a card number. The simulator's default key is public; a deployment sets its own. */
export function panDigest(pan: string, key: string): string {
  return createHmac('sha256', key).update(pan).digest('hex');
}

export const defaultPanKey = 'teller-simulator-card-key';
