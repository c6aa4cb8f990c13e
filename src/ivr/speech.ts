import type { Money } from '../core/index';
import { ivrError } from './errors';

/**
 * Spoken numbers, amounts, dates and times, built from short recorded fragments. Each language
 * has a closed catalogue of fragments (`zh/num/2`, `en/scale/thousand`, …); the composers below
 * only ever pick from it, so every fragment they can produce is a file under `prompts/`.
 * Everything here is pure: numbers arrive as integers or decimal strings (never binary
 * fractions of money), dates and times as ISO strings already in the bank's time zone.
 */

export const languages = ['zh', 'en'] as const;
export type Lang = (typeof languages)[number];

export function isLang(value: unknown): value is Lang {
  return value === 'zh' || value === 'en';
}

/** An utterance: the fragment ids to play in order, and the same words as text. */
export interface Spoken {
  readonly fragments: readonly string[];
  readonly text: string;
}

export const sayKinds = ['digits', 'number', 'amount', 'date', 'time', 'percent'] as const;
export type SayKind = (typeof sayKinds)[number];

/** One fragment as a composer emits it; `glue` says how it joins the word before it in the text. */
export interface Piece {
  readonly id: string;
  readonly text: string;
  readonly glue?: 'hyphen';
}

export function joinPieces(lang: Lang, pieces: readonly Piece[]): Spoken {
  let text = '';
  for (const [index, piece] of pieces.entries()) {
    if (index > 0 && lang === 'en') text += piece.glue === 'hyphen' ? '-' : ' ';
    text += piece.text;
  }
  return { fragments: pieces.map((piece) => piece.id), text };
}

/** A decimal number taken apart: sign, integer digits without leading zeros ("0" at least), fraction digits. */
export interface Decimal {
  negative: boolean;
  int: string;
  frac: string;
}

/** Up to 999 999 999 999 999: beyond what any account holds, within both languages' scale words. */
export const maxIntegerDigits = 15;

const decimalText = /^(-)?(\d+)(?:\.(\d+))?$/;

/**
 * Reads an integer, a bigint or a decimal string ("1.35", "-0.05", "12,345.67") exactly. A
 * JavaScript number with a fraction is accepted through its shortest decimal form (rates,
 * percentages); exponent forms are refused rather than guessed.
 */
export function parseDecimal(value: number | bigint | string): Decimal {
  let text: string;
  if (typeof value === 'bigint') text = value.toString();
  else if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw ivrError('IVR_SPEECH_INVALID', `cannot speak ${value}`);
    text = String(value);
  } else
    text = /^-?\d{1,3}(,\d{3})+(\.\d+)?$/.test(value.trim())
      ? value.trim().replaceAll(',', '')
      : value.trim();
  const match = decimalText.exec(text);
  if (!match) throw ivrError('IVR_SPEECH_INVALID', `"${text}" is not a decimal number`);
  const int = (match[2] ?? '0').replace(/^0+(?=\d)/, '');
  const frac = match[3] ?? '';
  if (int.length > maxIntegerDigits) {
    throw ivrError('IVR_SPEECH_RANGE', `${text} has more than ${maxIntegerDigits} integer digits`);
  }
  const zero = int === '0' && /^0*$/.test(frac);
  return { negative: match[1] === '-' && !zero, int, frac };
}

/** A money amount as sign, whole units and minor units (fen, cents), as digit strings. */
export function splitMoney(value: Money, minorDigits: number): Decimal {
  const negative = value.minor < 0;
  const abs = String(Math.abs(value.minor)).padStart(minorDigits + 1, '0');
  if (minorDigits === 0) return { negative, int: abs, frac: '' };
  const int = abs.slice(0, -minorDigits).replace(/^0+(?=\d)/, '');
  if (int.length > maxIntegerDigits) {
    throw ivrError('IVR_SPEECH_RANGE', `amount with ${int.length} integer digits is too large to speak`);
  }
  return { negative, int, frac: abs.slice(-minorDigits) };
}

export function checkDigits(value: string): string {
  if (!/^\d+$/.test(value)) throw ivrError('IVR_SPEECH_INVALID', 'digits to speak must be 0-9 only');
  return value;
}

export interface CalendarDate {
  year: number;
  month: number;
  day: number;
  /** 1 = Monday … 7 = Sunday (ISO 8601). */
  weekday: number;
}

/** Parses `YYYY-MM-DD`, refusing dates that do not exist (2023-02-29). */
export function parseIsoDate(value: string): CalendarDate {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) throw ivrError('IVR_SPEECH_INVALID', `"${value}" is not a date (YYYY-MM-DD)`);
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const utc = new Date(Date.UTC(year, month - 1, day));
  if (utc.getUTCFullYear() !== year || utc.getUTCMonth() !== month - 1 || utc.getUTCDate() !== day) {
    throw ivrError('IVR_SPEECH_INVALID', `"${value}" is not a calendar date`);
  }
  return { year, month, day, weekday: ((utc.getUTCDay() + 6) % 7) + 1 };
}

export interface ClockTime {
  hour: number;
  minute: number;
}

/** Parses `HH:MM` (24-hour). */
export function parseIsoTime(value: string): ClockTime {
  const match = /^(\d{1,2}):(\d{2})$/.exec(value);
  const hour = Number(match?.[1]);
  const minute = Number(match?.[2]);
  if (!match || hour > 23 || minute > 59)
    throw ivrError('IVR_SPEECH_INVALID', `"${value}" is not a time (HH:MM)`);
  return { hour, minute };
}
