/**
 * Teller challenges with SHA-256 and with MD5 (RFC 8760 §2.4: one WWW-Authenticate per
 * algorithm, most preferred first; the client answers the first it supports). SIP.js 0.21 knows
 * only MD5 and reads a single challenge (its parser keeps the last WWW-Authenticate header), so
 * it gives up whenever that one is not MD5. The softphone therefore hands SIP.js a 401/407 with
 * the MD5 challenges only — the very choice RFC 8760 asks of a client that supports MD5 alone.
 * A response without an MD5 challenge, or with one challenge, is left as it is. No DOM here: the
 * node tests import it.
 */

const challengeHeader = /^(www|proxy)-authenticate\s*:/i;
/** algorithm=MD5 (quoted or not), not MD5-sess; no algorithm at all means MD5 (RFC 2617 §3.2.1). */
const md5Algorithm = /algorithm\s*=\s*"?md5"?\s*(,|$)/i;
const anyAlgorithm = /algorithm\s*=/i;

function isMd5(line: string): boolean {
  return md5Algorithm.test(line) || !anyAlgorithm.test(line);
}

export function onlyMd5Challenges(message: string): string {
  if (!/^SIP\/2\.0 40[17] /.test(message)) return message;
  const end = message.indexOf('\r\n\r\n');
  const head = end >= 0 ? message.slice(0, end) : message;
  const rest = end >= 0 ? message.slice(end) : '';
  const lines = head.split('\r\n');
  const challenges = lines.filter((line) => challengeHeader.test(line));
  if (challenges.length < 2 || !challenges.some(isMd5)) return message;
  return lines.filter((line) => !challengeHeader.test(line) || isMd5(line)).join('\r\n') + rest;
}
