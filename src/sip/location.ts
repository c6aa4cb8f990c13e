import type { Clock } from '../core/index';
import type { TransportProtocol } from './transport';

/** One registered contact of an address-of-record (RFC 3261 §10.3). */
export interface Binding {
  aor: string;
  /** The Contact URI as the phone gave it. */
  contact: string;
  expiresAt: number;
  callId: string;
  cseq: number;
  /** Where the REGISTER really came from: requests to this contact go there (it is usually behind NAT). */
  flowId: string;
  protocol: TransportProtocol;
  source: { address: string; port: number };
  userAgent: string | null;
  q: number;
}

/**
 * The location service: address-of-record → current contacts, several per user (desk phone and
 * softphone). Soft state in memory, as registrations are: phones refresh them, and after a restart
 * they are back within one registration interval. Expired bindings are dropped when read.
 */
export class LocationService {
  private readonly bindings = new Map<string, Map<string, Binding>>();

  constructor(private readonly clock: Clock) {}

  /** The live bindings of an AOR, best first (highest q, then most recent). */
  lookup(aor: string): Binding[] {
    const set = this.bindings.get(aor);
    if (!set) return [];
    const now = this.clock.now();
    for (const [contact, binding] of set) if (binding.expiresAt <= now) set.delete(contact);
    if (set.size === 0) this.bindings.delete(aor);
    return [...set.values()].sort((a, b) => b.q - a.q || b.expiresAt - a.expiresAt);
  }

  get(aor: string, contact: string): Binding | undefined {
    return this.lookup(aor).find((b) => b.contact === contact);
  }

  put(binding: Binding): void {
    let set = this.bindings.get(binding.aor);
    if (!set) {
      set = new Map();
      this.bindings.set(binding.aor, set);
    }
    set.set(binding.contact, binding);
  }

  remove(aor: string, contact: string): void {
    this.bindings.get(aor)?.delete(contact);
  }

  removeAll(aor: string): void {
    this.bindings.delete(aor);
  }

  /** Every AOR with at least one live binding. */
  registered(): string[] {
    return [...this.bindings.keys()].filter((aor) => this.lookup(aor).length > 0);
  }
}
