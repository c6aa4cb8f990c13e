/**
 * Display helpers. Money arrives as a decimal string and is shown from that string: digits
 * are grouped by string work, never through a float, so 0.1 + 0.2 problems cannot appear.
 */
import type { Money } from '../api/types';

/** "-1234567.5" → "-1,234,567.50" (two decimals unless the string has none and the currency has none). */
export function groupDecimal(amount: string, decimals = 2): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(amount.trim());
  if (!match) return amount;
  const [, sign = '', whole = '0', fraction = ''] = match;
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  if (decimals === 0) return `${sign}${grouped}`;
  return `${sign}${grouped}.${fraction.padEnd(decimals, '0')}`;
}

const zeroDecimalCurrencies = new Set(['JPY', 'KRW']);

export function formatMoney(money: Money): string {
  const decimals = zeroDecimalCurrencies.has(money.currency) ? 0 : 2;
  return `${money.currency} ${groupDecimal(money.amount, decimals)}`;
}

export function isNegative(money: Money): boolean {
  return money.amount.trim().startsWith('-');
}

/** A positive amount as the API takes it: digits with at most two decimals. */
export const amountPattern = /^\d{1,15}(\.\d{1,2})?$/;

/** 65_000 → "1:05"; 3_725_000 → "1:02:05". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const total = Math.max(0, Math.round(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const ss = String(seconds).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${ss}` : `${minutes}:${ss}`;
}

/** 0.8123 → "81.2%"; null → "—". */
export function formatPercent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '—';
  return `${(ratio * 100).toFixed(1)}%`;
}

export function formatTime(at: number, lang: string): string {
  return new Date(at).toLocaleString(lang === 'zh-CN' ? 'zh-CN' : 'en-GB', {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  });
}

export function formatClock(at: number): string {
  const d = new Date(at);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}:${String(d.getSeconds()).padStart(2, '0')}`;
}
