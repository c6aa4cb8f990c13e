import type { Clock } from '../core/index';

export interface SecurityOptions {
  /** Failed authentications from one address within `windowMs` that get it banned. */
  maxFailures: number;
  windowMs: number;
  banMs: number;
  /** User-Agent substrings of known scanners (friendly-scanner, sipvicious, sipcli…), matched case-insensitively. */
  scannerUserAgents: readonly string[];
  /** Addresses (trunks, the load balancer) never banned and never challenged. */
  trustedAddresses: readonly string[];
  /** Most addresses tracked in each of the failure and ban tables. Default 100,000. */
  maxTracked?: number;
}

export const defaultScannerUserAgents = [
  'friendly-scanner',
  'sipvicious',
  'sipcli',
  'sip-scan',
  'sipsak',
  'iWar',
  'sundayddr',
  'VaxSIPUserAgent',
  'pplsip',
  'Cisco-SIPGateway/IOS',
];

/**
 * Refuses peers that brute-force credentials: after N failed authentications in T seconds an
 * address is banned for a while, and its traffic is dropped without an answer (an answer would
 * tell a scanner that something is listening).
 */
export class SipGuard {
  private readonly failures = new Map<string, number[]>();
  private readonly bans = new Map<string, number>();
  private readonly scanners: string[];

  constructor(
    private readonly options: SecurityOptions,
    private readonly clock: Clock,
  ) {
    this.scanners = options.scannerUserAgents.map((s) => s.toLowerCase());
  }

  isTrusted(address: string): boolean {
    return this.options.trustedAddresses.includes(address);
  }

  isBanned(address: string): boolean {
    const until = this.bans.get(address);
    if (until === undefined) return false;
    if (until <= this.clock.now()) {
      this.bans.delete(address);
      return false;
    }
    return true;
  }

  isScanner(userAgent: string | undefined): boolean {
    if (!userAgent) return false;
    const ua = userAgent.toLowerCase();
    return this.scanners.some((s) => ua.includes(s));
  }

  /** Counts a failed authentication; returns true when this one got the address banned. */
  recordFailure(address: string): boolean {
    if (this.isTrusted(address)) return false;
    const now = this.clock.now();
    const recent = (this.failures.get(address) ?? []).filter((t) => t > now - this.options.windowMs);
    recent.push(now);
    // Deleted and set again, so the Map's order is the order of last failure (oldest first).
    this.failures.delete(address);
    if (recent.length >= this.options.maxFailures) {
      this.bans.set(address, now + this.options.banMs);
      this.boundBans(now);
      return true;
    }
    this.failures.set(address, recent);
    this.boundFailures(now);
    return false;
  }

  private get maxTracked(): number {
    return this.options.maxTracked ?? 100_000;
  }

  /**
   * Keeps the failure table within `maxTracked` addresses when failures come from very many (an
   * IPv6 sweep): first what has left the window, then the addresses with the fewest failures,
   * oldest first. A sweeper's addresses have one failure each, so they go before the count of
   * an address that keeps guessing; clearing the whole table (as once done) let a sweep wipe it.
   * It goes down to 90 %, so the scan runs once per tenth of the table, not on every failure.
   */
  private boundFailures(now: number): void {
    if (this.failures.size <= this.maxTracked) return;
    const target = Math.floor(this.maxTracked * 0.9);
    for (const [key, times] of this.failures) {
      if (times.every((t) => t <= now - this.options.windowMs)) this.failures.delete(key);
    }
    for (let count = 1; this.failures.size > target && count < this.options.maxFailures; count++) {
      for (const [key, times] of this.failures) {
        if (this.failures.size <= target) break;
        if (times.length <= count) this.failures.delete(key);
      }
    }
  }

  /** The ban table likewise: lapsed bans first, then the oldest. */
  private boundBans(now: number): void {
    if (this.bans.size <= this.maxTracked) return;
    const target = Math.floor(this.maxTracked * 0.9);
    for (const [key, until] of this.bans) if (until <= now) this.bans.delete(key);
    for (const key of this.bans.keys()) {
      if (this.bans.size <= target) break;
      this.bans.delete(key);
    }
  }

  recordSuccess(address: string): void {
    this.failures.delete(address);
  }

  banned(): { address: string; until: number }[] {
    return [...this.bans.entries()]
      .filter(([a]) => this.isBanned(a))
      .map(([address, until]) => ({ address, until }));
  }
}
