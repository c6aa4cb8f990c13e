/**
 * The screen pop's customer read, started the moment the offer event arrives (useAgentDesk's
 * event handler, in parallel with the interaction read) instead of from CustomerPanel's effect,
 * which runs only after the renders the offer causes. CustomerPanel takes the read that is under
 * way, or already done, for the same customer and contact; anything else reads anew.
 */
import { api } from '../api/client';
import type { Customer360 } from '../api/types';

type Settled = { ok: true; view: Customer360 } | { ok: false; error: unknown };

interface Prefetched {
  /** Never rejects, so a read nobody takes is no unhandled rejection; its error goes to the taker. */
  settled: Promise<Settled>;
  startedAt: number;
}

/**
 * A prefetched view older than this is not shown: the customer may have changed since. An offer
 * pops within a second; one that never renders (declined at once) is dropped on the next prefetch.
 */
const freshForMs = 10_000;

const prefetched = new Map<string, Prefetched>();

const keyOf = (customerId: string, interactionId: string | null) =>
  `${customerId}\u0000${interactionId ?? ''}`;

/** Starts reading the customer's 360° view for the contact being offered. */
export function prefetchCustomer(customerId: string, interactionId: string): void {
  const now = performance.now();
  for (const [key, entry] of prefetched) if (now - entry.startedAt > freshForMs) prefetched.delete(key);
  const settled = api.customer(customerId, interactionId).then(
    (view): Settled => ({ ok: true, view }),
    (error: unknown): Settled => ({ ok: false, error }),
  );
  prefetched.set(keyOf(customerId, interactionId), { settled, startedAt: now });
}

/**
 * The 360° view: the prefetched read when there is a fresh one (taken once, so a reload after a
 * change reads anew), else a new read.
 */
export async function customer360(customerId: string, interactionId: string | null): Promise<Customer360> {
  const key = keyOf(customerId, interactionId);
  const entry = prefetched.get(key);
  prefetched.delete(key);
  if (!entry || performance.now() - entry.startedAt > freshForMs) {
    return api.customer(customerId, interactionId ?? undefined);
  }
  const result = await entry.settled;
  if (!result.ok) throw result.error;
  return result.view;
}
