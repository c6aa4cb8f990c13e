/**
 * The server's brute-force guard under an address sweep (many addresses, an IPv6 /64 say): its
 * tables stay bounded, and filling them does not wipe the count of an attacker that is still
 * guessing from one address (as clearing the whole table once did).
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../src/core/index';
import { SipGuard } from '../src/sip/index';

function guard(clock: VirtualClock, maxTracked?: number): SipGuard {
  return new SipGuard(
    {
      maxFailures: 5,
      windowMs: 60_000,
      banMs: 15 * 60_000,
      scannerUserAgents: [],
      trustedAddresses: [],
      ...(maxTracked === undefined ? {} : { maxTracked }),
    },
    clock,
  );
}

describe('SipGuard under an address sweep', () => {
  it('keeps counting a guesser while a sweep from other addresses overflows the table', () => {
    const clock = new VirtualClock(1_000_000);
    const sip = guard(clock);
    for (let i = 0; i < 4; i++) expect(sip.recordFailure('2001:db8::bad')).toBe(false);
    // The sweep: one failure each from 110,000 other addresses, past the default 100,000 tracked.
    for (let i = 0; i < 110_000; i++) sip.recordFailure(`2001:db8:1::${i.toString(16)}`);
    clock.advance(1);
    expect(sip.recordFailure('2001:db8::bad')).toBe(true);
    expect(sip.isBanned('2001:db8::bad')).toBe(true);
  });

  it('holds at most maxTracked bans, dropping lapsed ones first', () => {
    const clock = new VirtualClock(1_000_000);
    const sip = guard(clock, 100);
    const ban = (address: string) => {
      for (let i = 0; i < 5; i++) sip.recordFailure(address);
    };
    for (let i = 0; i < 50; i++) ban(`198.51.100.${i}`);
    clock.advance(16 * 60_000);
    for (let i = 0; i < 300; i++) ban(`203.0.113.${i}`);
    const banned = sip.banned();
    expect(banned.length).toBeLessThanOrEqual(100);
    expect(banned.every((b) => b.address.startsWith('203.0.113.'))).toBe(true);
    // The newest bans are the ones kept.
    expect(sip.isBanned('203.0.113.299')).toBe(true);
  });
});
