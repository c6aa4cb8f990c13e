import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSipp, sippFixtures, udpExchange } from './support/sipp';
import { startTestTeller, type TestTeller } from './support/teller';

const register = `${sippFixtures}/register.xml`;

function options(userAgent = 'teller-test'): string {
  return [
    'OPTIONS sip:teller@127.0.0.1 SIP/2.0',
    `Via: SIP/2.0/UDP 127.0.0.1:LOCALPORT;branch=z9hG4bK${Math.random().toString(36).slice(2)};rport`,
    'Max-Forwards: 70',
    'From: <sip:probe@127.0.0.1>;tag=1',
    'To: <sip:teller@127.0.0.1>',
    `Call-ID: ${Math.random().toString(36).slice(2)}@test`,
    'CSeq: 1 OPTIONS',
    `User-Agent: ${userAgent}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

describe('SIP registrar with digest auth, against SIPp', () => {
  let teller: TestTeller;
  let target: string;
  beforeAll(async () => {
    teller = await startTestTeller({
      env: { TELLER_SIP_DIGEST_ALGORITHMS: 'MD5,SHA-256', TELLER_SIP_BAN_AFTER_FAILURES: '3' },
    });
    target = `127.0.0.1:${teller.sip.port}`;
  });
  afterAll(() => teller.close());

  it('registers extension 1001 after a 401 challenge, and keeps the binding', async () => {
    const result = await runSipp(target, [
      '-sf',
      register,
      '-s',
      '1001',
      '-au',
      '1001',
      '-ap',
      'teller-demo',
      '-m',
      '1',
    ]);
    expect(result.status, result.output).toBe(0);
    const bindings = teller.sip.location.lookup('sip:1001@teller');
    expect(bindings).toHaveLength(1);
    expect(bindings[0]!.contact).toMatch(/^sip:1001@127\.0\.0\.1:\d+/);
    expect(bindings[0]!.expiresAt).toBeGreaterThan(Date.now() + 3500_000);
  });

  it('lets a user register with the login name as digest username too', async () => {
    const result = await runSipp(target, [
      '-sf',
      register,
      '-s',
      '1002',
      '-au',
      'agent02',
      '-ap',
      'teller-demo',
      '-m',
      '1',
    ]);
    expect(result.status, result.output).toBe(0);
    expect(teller.sip.location.lookup('sip:1002@teller')).toHaveLength(1);
  });

  it("refuses someone else's address (403) and a wrong password (401 again)", async () => {
    const other = await runSipp(target, [
      '-sf',
      register,
      '-s',
      '1005',
      '-au',
      '1003',
      '-ap',
      'teller-demo',
      '-m',
      '1',
    ]);
    expect(other.status).not.toBe(0);
    expect(teller.sip.location.lookup('sip:1005@teller')).toHaveLength(0);
    const wrong = await runSipp(target, [
      '-sf',
      register,
      '-s',
      '1004',
      '-au',
      '1004',
      '-ap',
      'wrong-password',
      '-m',
      '1',
    ]);
    expect(wrong.status).not.toBe(0);
    expect(teller.sip.location.lookup('sip:1004@teller')).toHaveLength(0);
    const failures = await teller.audit.list({ action: 'sip.auth-failed' });
    expect(failures.some((f) => f.details.username === '1004' && f.ip === '127.0.0.1')).toBe(true);
  });

  it('answers OPTIONS with 200 and the methods it allows', async () => {
    const reply = await udpExchange(teller.sip.port, options());
    expect(reply).toMatch(/^SIP\/2\.0 200 OK\r\n/);
    expect(reply).toMatch(/\r\nAllow: .*INVITE.*REGISTER/);
    expect(reply).toMatch(/\r\nVia: .*;received=127\.0\.0\.1|rport=\d+/);
  });

  it('drops a scanner silently', async () => {
    expect(await udpExchange(teller.sip.port, options('friendly-scanner'))).toBeUndefined();
    const scanners = await teller.audit.list({ action: 'sip.scanner' });
    expect(scanners.length).toBeGreaterThan(0);
  });
});

describe('SIP brute-force ban', () => {
  let teller: TestTeller;
  beforeAll(async () => {
    teller = await startTestTeller({
      env: { TELLER_SIP_DIGEST_ALGORITHMS: 'MD5', TELLER_SIP_BAN_AFTER_FAILURES: '3' },
    });
  });
  afterAll(() => teller.close());

  it('bans an address after N failed authentications and then ignores it', async () => {
    const target = `127.0.0.1:${teller.sip.port}`;
    for (let i = 0; i < 3; i++) {
      await runSipp(
        target,
        ['-sf', register, '-s', '1006', '-au', '1006', '-ap', `guess-${i}`, '-m', '1'],
        5000,
      );
    }
    expect(teller.sip.guard.isBanned('127.0.0.1')).toBe(true);
    expect(await udpExchange(teller.sip.port, options())).toBeUndefined();
    const good = await runSipp(
      target,
      ['-sf', register, '-s', '1006', '-au', '1006', '-ap', 'teller-demo', '-m', '1'],
      3000,
    );
    expect(good.status).not.toBe(0);
    expect(teller.sip.location.lookup('sip:1006@teller')).toHaveLength(0);
    expect((await teller.audit.list({ action: 'sip.banned' })).length).toBe(1);
  }, 60_000);
});
