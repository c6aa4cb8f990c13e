import { type AcdEngine, AcdError, type CustomerTier } from '../acd/index';
import type { Users } from '../api/index';
import type { CallManager, RingOutcome } from '../calls/index';
import type { DomainEvents, EventBus, Logger } from '../core/index';
import type { Interactions } from '../interactions/index';

/** The header the agent's INVITE carries so the desktop can match the ringing call with its offer. */
export const interactionHeader = 'X-Teller-Interaction';

export interface VoiceDeskOptions {
  bus: EventBus<DomainEvents>;
  acd: AcdEngine;
  calls: CallManager;
  interactions: Interactions;
  users: Users;
  logger: Logger;
}

/** An offer whose agent's phone is ringing. */
interface Ring {
  agentId: string;
  callId: string;
  /** False once the ACD took the offer back (no answer, declined on the desktop, caller gone). */
  offered: boolean;
}

/** A voice contact connected to an agent. */
interface Connected {
  interactionId: string;
  agentId: string;
}

/**
 * Voice contacts between the ACD and the phones.
 *
 *   ACD offers a parked caller ─▶ the agent's extension rings (X-Teller-Interaction: id)
 *   agent answers the phone      ─▶ offer accepted (unless the desktop did first), caller bridged
 *   phone declines or fails      ─▶ offer declined: back to the head of its queue
 *   ACD takes the offer back     ─▶ the ringing stops; the caller stays parked
 *   either party hangs up        ─▶ the agent goes to wrap-up
 *   agent ends it on the desktop ─▶ the call is hung up
 *
 * The caller's side (IVR, parking, abandons while waiting) stays with the phone-banking line.
 */
export class VoiceDesk {
  private readonly rings = new Map<string, Ring>();
  /** By call record id. */
  private readonly connected = new Map<string, Connected>();
  /** Interactions made by transferring a call to another queue, by call record id. */
  private readonly transferred = new Map<string, string>();
  private readonly stops: (() => void)[] = [];

  constructor(private readonly o: VoiceDeskOptions) {
    const { bus } = o;
    const takenBack = (interactionId: string) => {
      const ring = this.rings.get(interactionId);
      if (!ring) return;
      ring.offered = false;
      o.calls.cancelRinging(ring.callId);
    };
    this.stops.push(
      bus.on('acd.interaction.offered', (e) => {
        this.offered(e.payload.interactionId, e.payload.agentId).catch((error: unknown) =>
          o.logger.error({ err: error, interaction: e.payload.interactionId }, 'voice offer not delivered'),
        );
      }),
      bus.on('acd.interaction.requeued', (e) => takenBack(e.payload.interactionId)),
      bus.on('acd.interaction.abandoned', (e) => takenBack(e.payload.interactionId)),
      bus.on('acd.interaction.canceled', (e) => takenBack(e.payload.interactionId)),
      bus.on('acd.interaction.wrap-up', (e) => this.released(e.payload.interactionId)),
      bus.on('acd.interaction.completed', (e) => this.released(e.payload.interactionId)),
      bus.on('call.ended', (e) => this.callEnded(e.payload.id)),
    );
  }

  close(): void {
    for (const stop of this.stops.splice(0)) stop();
  }

  /** The call a voice interaction is on, if the ACD holds it as a live call. */
  callOf(interactionId: string): string | undefined {
    for (const [callId, c] of this.connected) if (c.interactionId === interactionId) return callId;
    return undefined;
  }

  /** The voice contact connected to this call, if any. */
  contactOn(callId: string): Connected | undefined {
    return this.connected.get(callId);
  }

  /**
   * Transfers a connected caller to another queue: the agent leaves the call (and goes to
   * wrap-up), the caller hears hold music again, and a new interaction — carrying the first
   * one's attached data and a link back to it — waits in the target queue.
   */
  async transferToQueue(
    interactionId: string,
    queueId: string,
    actor: string,
  ): Promise<{ interactionId: string }> {
    const callId = this.callOf(interactionId);
    if (!callId) {
      throw new AcdError('ACD_NOT_CONNECTED', `interaction ${interactionId} is not a connected call`);
    }
    const { acd, interactions } = this.o;
    acd.queueConfig(queueId); // throws ACD_UNKNOWN_QUEUE before anything moves
    const contact = this.connected.get(callId)!;
    const original = await interactions.get(interactionId);
    this.connected.delete(callId);
    await this.o.calls.detachAgent(callId);
    acd.release(contact.agentId, interactionId);
    await interactions.attach(interactionId, { transferredTo: queueId, transferredBy: actor });
    const next = await interactions.create({
      channel: 'voice',
      ...(original.customerId ? { customerId: original.customerId } : {}),
      queueId,
      data: { ...original.data, transferredFrom: interactionId, transferredBy: actor },
    });
    this.transferred.set(callId, next.id);
    const tier = (typeof original.data.tier === 'string' ? original.data.tier : 'mass') as CustomerTier;
    acd.enqueue({
      interactionId: next.id,
      queueId,
      ...(original.customerId ? { customerId: original.customerId } : {}),
      tier,
    });
    return { interactionId: next.id };
  }

  private async offered(interactionId: string, agentId: string): Promise<void> {
    const { acd, calls, interactions, users, logger } = this.o;
    const interaction = await interactions.get(interactionId);
    const callId = interaction.data.callId;
    if (interaction.channel !== 'voice' || typeof callId !== 'string') return;
    const user = await users.get(agentId);
    if (!user.extension) {
      logger.warn(
        { agent: agentId, interaction: interactionId },
        'voice offered to an agent without a phone',
      );
      this.declineIfOffered(interactionId, agentId);
      return;
    }
    const ring: Ring = { agentId, callId, offered: true };
    this.rings.set(interactionId, ring);
    let outcome: RingOutcome;
    try {
      outcome = await calls.connect(callId, user.extension, {
        headers: [[interactionHeader, interactionId]],
      });
    } catch (error) {
      outcome = { kind: 'failed', status: 500, reason: String(error), disposition: 'failed' };
      logger.warn({ err: error, interaction: interactionId }, 'agent not rung');
    } finally {
      if (this.rings.get(interactionId) === ring) this.rings.delete(interactionId);
    }
    if (outcome.kind === 'failed') {
      logger.info(
        { agent: agentId, interaction: interactionId, status: outcome.status, reason: outcome.reason },
        "agent's phone did not take the call",
      );
      if (ring.offered) this.declineIfOffered(interactionId, agentId);
      return;
    }
    const state = acd.hasInteraction(interactionId) ? acd.interactionState(interactionId) : undefined;
    if (state?.agentId === agentId && state.state === 'offered') acd.accept(agentId, interactionId);
    else if (!(state?.agentId === agentId && state.state === 'connected')) {
      // The ACD gave the offer to someone else (or the caller left) while the phone was picked up.
      await calls.detachAgent(callId).catch(() => undefined);
      return;
    }
    this.connected.set(callId, { interactionId, agentId });
    await interactions
      .update(interactionId, { agentId })
      .catch((error: unknown) => logger.warn({ err: error }, 'interaction not updated with its agent'));
  }

  private declineIfOffered(interactionId: string, agentId: string): void {
    const { acd } = this.o;
    if (!acd.hasInteraction(interactionId)) return;
    const state = acd.interactionState(interactionId);
    if (state.state === 'offered' && state.agentId === agentId) acd.decline(agentId, interactionId);
  }

  /** The agent ended the contact (release on the desktop): a call still up is hung up. */
  private released(interactionId: string): void {
    const callId = this.callOf(interactionId);
    if (!callId) return;
    this.connected.delete(callId);
    this.o.calls.end(callId).catch(() => undefined);
  }

  /** Either party hung up: the agent goes to wrap-up; a transferred caller still waiting leaves their queue. */
  private callEnded(callId: string): void {
    const { acd, interactions, logger } = this.o;
    const contact = this.connected.get(callId);
    if (contact) {
      this.connected.delete(callId);
      const state = acd.hasInteraction(contact.interactionId)
        ? acd.interactionState(contact.interactionId)
        : undefined;
      if (state?.state === 'connected' && state.agentId === contact.agentId) {
        acd.release(contact.agentId, contact.interactionId);
      }
    }
    const waiting = this.transferred.get(callId);
    if (waiting) {
      this.transferred.delete(callId);
      if (acd.hasInteraction(waiting)) {
        const { state } = acd.interactionState(waiting);
        if (state === 'waiting' || state === 'offered') acd.abandon(waiting);
      }
      interactions
        .close(waiting, 'caller-hung-up')
        .catch((error: unknown) => logger.debug({ err: error }, 'transferred interaction already closed'));
    }
  }
}
