/**
 * The web app's pure pieces, in node: money shown from decimal strings (never through a float),
 * durations, and the digest challenge filter the softphone puts in front of SIP.js.
 */
import { describe, expect, it } from 'vitest';
import { formatDuration, formatMoney, formatPercent, groupDecimal } from '../web/src/common/format';
import { onlyMd5Challenges } from '../web/src/softphone/digest';

describe('money and figures', () => {
  it('groups the digits of the decimal string and keeps every digit', () => {
    expect(groupDecimal('1234567.5')).toBe('1,234,567.50');
    expect(groupDecimal('-6737.25')).toBe('-6,737.25');
    expect(groupDecimal('0')).toBe('0.00');
    // Beyond a double's 15–17 significant digits: a float would have rounded this.
    expect(groupDecimal('900719925474099.99')).toBe('900,719,925,474,099.99');
    expect(formatMoney({ amount: '100.1', currency: 'CNY' })).toBe('CNY 100.10');
    expect(formatMoney({ amount: '1500', currency: 'JPY' })).toBe('JPY 1,500');
  });

  it('leaves what is not a decimal as it came', () => {
    expect(groupDecimal('12e3')).toBe('12e3');
  });

  it('formats durations and ratios, with a dash for none', () => {
    expect(formatDuration(65_000)).toBe('1:05');
    expect(formatDuration(3_725_000)).toBe('1:02:05');
    expect(formatDuration(null)).toBe('—');
    expect(formatPercent(0.8123)).toBe('81.2%');
    expect(formatPercent(null)).toBe('—');
  });
});

describe('onlyMd5Challenges', () => {
  const challenge = (algorithm: string | null) =>
    `WWW-Authenticate: Digest realm="teller", nonce="n1"${algorithm ? `, algorithm=${algorithm}` : ''}, qop="auth"`;
  const response = (status: string, headers: string[]) =>
    [
      `SIP/2.0 ${status}`,
      'Via: SIP/2.0/WS x.invalid;branch=z9hG4bK1',
      'CSeq: 1 REGISTER',
      ...headers,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');

  it('keeps only the MD5 challenge of a 401 offering SHA-256 and MD5, whatever their order', () => {
    for (const headers of [
      [challenge('SHA-256'), challenge('MD5')],
      [challenge('MD5'), challenge('SHA-256')],
    ]) {
      const out = onlyMd5Challenges(response('401 Unauthorized', headers));
      expect(out.match(/WWW-Authenticate/g)).toHaveLength(1);
      expect(out).toContain('algorithm=MD5');
      expect(out).toContain('CSeq: 1 REGISTER');
      expect(out.endsWith('\r\n\r\n')).toBe(true);
    }
  });

  it('treats a challenge without an algorithm as MD5, and MD5-sess as not', () => {
    const out = onlyMd5Challenges(
      response('407 Proxy Authentication Required', [
        challenge('MD5-sess').replace('WWW', 'Proxy'),
        challenge(null).replace('WWW', 'Proxy'),
      ]),
    );
    expect(out).not.toContain('MD5-sess');
    expect(out.match(/Proxy-Authenticate/g)).toHaveLength(1);
  });

  it('leaves other messages, single challenges and challenges without MD5 alone', () => {
    const ok = response('200 OK', [challenge('SHA-256'), challenge('MD5')]);
    expect(onlyMd5Challenges(ok)).toBe(ok);
    const single = response('401 Unauthorized', [challenge('SHA-256')]);
    expect(onlyMd5Challenges(single)).toBe(single);
    const noMd5 = response('401 Unauthorized', [challenge('SHA-256'), challenge('SHA-512-256')]);
    expect(onlyMd5Challenges(noMd5)).toBe(noMd5);
  });
});
