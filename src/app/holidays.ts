/**
 * The demo bank's holiday calendar: the days off of mainland China's statutory holidays as the
 * State Council announced them (国务院办公厅关于2025年/2026年部分节假日安排的通知). The weekend
 * days worked in exchange (调休) are ordinary business days and not listed. A bank replaces
 * this list with its own calendar; the IVR only asks "is this date a holiday?".
 */

/** Inclusive ranges of days off, `YYYY-MM-DD`. */
const ranges: readonly (readonly [string, string])[] = [
  // 2025
  ['2025-01-01', '2025-01-01'], // 元旦 New Year
  ['2025-01-28', '2025-02-04'], // 春节 Spring Festival
  ['2025-04-04', '2025-04-06'], // 清明节 Qingming
  ['2025-05-01', '2025-05-05'], // 劳动节 Labour Day
  ['2025-05-31', '2025-06-02'], // 端午节 Dragon Boat
  ['2025-10-01', '2025-10-08'], // 国庆节、中秋节 National Day and Mid-Autumn
  // 2026
  ['2026-01-01', '2026-01-03'], // 元旦
  ['2026-02-15', '2026-02-23'], // 春节
  ['2026-04-04', '2026-04-06'], // 清明节
  ['2026-05-01', '2026-05-05'], // 劳动节
  ['2026-06-19', '2026-06-21'], // 端午节
  ['2026-09-25', '2026-09-27'], // 中秋节
  ['2026-10-01', '2026-10-07'], // 国庆节
];

const dayMs = 86_400_000;

/** Every listed day off, one `YYYY-MM-DD` each. */
export function demoBankHolidays(): Set<string> {
  const days = new Set<string>();
  for (const [first, last] of ranges) {
    const end = Date.parse(`${last}T00:00:00Z`);
    for (let at = Date.parse(`${first}T00:00:00Z`); at <= end; at += dayMs) {
      days.add(new Date(at).toISOString().slice(0, 10));
    }
  }
  return days;
}
