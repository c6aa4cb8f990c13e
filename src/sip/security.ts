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
    if (recent.length >= this.options.maxFailures) {
      this.failures.delete(address);
      this.bans.set(address, now + this.options.banMs);
      return true;
    }
    this.failures.set(address, recent);
    if (this.failures.size > 100_000) this.failures.clear();
    return false;
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
