import { type AcdEngine, AcdError, type CustomerTier } from '../acd/index';
import type { Users } from '../api/index';
import type { CallManager, RingOutcome } from '../calls/index';
import type { DomainEvents, EventBus, Logger } from '../core/index';
import type { Interactions } from '../interactions/index';
import { AppError } from './errors';
import type { LineVerification } from './ivr-line';

/** The header the agent's INVITE carries so the desktop can match the ringing call with its offer. */
export const interactionHeader = 'X-Teller-Interaction';

export interface VoiceDeskOptions {
  bus: EventBus<DomainEvents>;
  acd: AcdEngine;
  calls: CallManager;
  interactions: Interactions;
  users: Users;
  logger: Logger;
  /** Runs a verification flow for a caller an agent holds (the phone-banking line). */
  verifier: { verify(callId: string, flowId: string, lang?: 'zh' | 'en'): Promise<LineVerification> };
  /** The flow that asks for the caller's PIN on the agent's behalf (`agent-verification`). */
  verificationFlow: string;
  /** The number a callback shows the customer (the bank's service number). */
  callerId: string;
}

/** How a callback the ACD gave an agent went, as the interaction's `callbackOutcome` says. */
export type CallbackOutcome = 'connected' | 'no-answer' | 'busy' | 'rejected' | 'failed' | 'agent-left';

/** Where a verification the agent asked for stands, as the interaction's `verificationState` says. */
export type VerificationState =
  | 'in-progress'
  | 'verified'
  /** Wrong PIN too often, or the caller gave up. */
  | 'failed'
  /** The PIN was wrong too often: the bank locked the customer's telephone PIN. */
  | 'locked'
  /** The caller proved to be a different customer from the one on the agent's screen. */
  | 'other-customer'
  | 'caller-left';

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
  /** The call of each connected contact (`connected` the other way round). */
  private readonly callByInteraction = new Map<string, string>();
  /** Verifications running, by interaction id (their end, for shutdown and tests). */
  private readonly verifying = new Map<string, Promise<void>>();
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
        // Chats, e-mails and SMS reach the desktop by events alone: no interaction read for them.
        if (e.payload.channel !== 'voice') return;
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
    const callId = this.callByInteraction.get(interactionId);
    return callId !== undefined && this.connected.get(callId)?.interactionId === interactionId
      ? callId
      : undefined;
  }

  private link(callId: string, contact: Connected): void {
    this.connected.set(callId, contact);
    this.callByInteraction.set(contact.interactionId, callId);
  }

  private unlink(callId: string): void {
    const contact = this.connected.get(callId);
    if (contact && this.callByInteraction.get(contact.interactionId) === callId) {
      this.callByInteraction.delete(contact.interactionId);
    }
    this.connected.delete(callId);
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
    this.unlink(callId);
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

  /**
   * Sends the caller of a connected voice contact to the IVR's verification flow: the agent hears
   * hold music meanwhile and never the keys; the caller comes back to the same agent. The
   * interaction's `verificationState` says where it stands (`interaction.updated` reaches the
   * agent); on success its `verification` level and the bank's `verificationId` are the ones
   * the caller just proved, so the agent can act on them.
   */
  async verify(
    interactionId: string,
  ): Promise<{ interactionId: string; verificationState: VerificationState }> {
    const callId = this.callOf(interactionId);
    if (!callId) {
      throw new AppError('APP_NOT_A_LIVE_CALL', `interaction ${interactionId} is not a connected call`);
    }
    if (this.verifying.has(interactionId)) {
      throw new AppError('APP_CALL_BUSY', `interaction ${interactionId} is already being verified`);
    }
    const { calls, interactions, logger } = this.o;
    const interaction = await interactions.get(interactionId);
    const lang = interaction.data.language === 'en' ? 'en' : 'zh';
    await calls.setAgentAside(callId);
    // A run that cannot start rejects; `verified` then puts the agent back and records `failed`.
    const result = this.o.verifier.verify(callId, this.o.verificationFlow, lang);
    const done = this.verified(interactionId, callId, interaction.customerId, result)
      .catch((error: unknown) =>
        logger.error({ err: error, interaction: interactionId }, 'verification not recorded'),
      )
      .finally(() => this.verifying.delete(interactionId));
    this.verifying.set(interactionId, done);
    await interactions.attach(interactionId, { verificationState: 'in-progress' });
    return { interactionId, verificationState: 'in-progress' };
  }

  /** Waits for the verifications still running (shutdown, tests). */
  async drain(): Promise<void> {
    while (this.verifying.size > 0) await Promise.all([...this.verifying.values()]);
  }

  private async verified(
    interactionId: string,
    callId: string,
    customerId: string | null,
    run: Promise<LineVerification>,
  ): Promise<void> {
    const { calls, interactions, logger } = this.o;
    const result = await run.catch(
      (error: unknown): LineVerification => ({ outcome: 'failed', reason: String(error) }),
    );
    if (result.outcome === 'caller-left') {
      await interactions.attach(interactionId, { verificationState: 'caller-left' });
      return;
    }
    await calls.resumeAgent(callId).catch((error: unknown) => {
      logger.warn({ err: error, interaction: interactionId }, 'agent not put back with the caller');
    });
    if (result.outcome === 'failed') {
      logger.warn({ interaction: interactionId, reason: result.reason }, 'verification flow failed');
      await interactions.attach(interactionId, { verificationState: 'failed' });
      return;
    }
    const { data } = result;
    const sameCustomer = customerId === null || data.customerId === customerId;
    const state: VerificationState = !sameCustomer
      ? 'other-customer'
      : data.verification === 'pin'
        ? 'verified'
        : data.extra.authResult === 'locked'
          ? 'locked'
          : 'failed';
    if (state !== 'verified') {
      await interactions.attach(interactionId, { verificationState: state });
      return;
    }
    await interactions.update(interactionId, {
      ...(customerId === null && data.customerId ? { customerId: data.customerId } : {}),
      data: { verificationState: state, verification: 'pin', verificationId: data.verificationId },
    });
  }

  private async offered(interactionId: string, agentId: string): Promise<void> {
    const { acd, calls, interactions, users, logger } = this.o;
    const interaction = await interactions.get(interactionId);
    if (interaction.channel !== 'voice') return;
    const callId = interaction.data.callId;
    const callback = interaction.data.callback === true ? interaction.data.number : undefined;
    if (typeof callId !== 'string' && typeof callback !== 'string') return;
    const user = await users.get(agentId);
    if (!user.extension) {
      logger.warn(
        { agent: agentId, interaction: interactionId },
        'voice offered to an agent without a phone',
      );
      this.declineIfOffered(interactionId, agentId);
      return;
    }
    if (typeof callId !== 'string') {
      await this.callBack(interactionId, agentId, user.extension, callback as string);
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
    this.link(callId, { interactionId, agentId });
    await interactions
      .update(interactionId, { agentId })
      .catch((error: unknown) => logger.warn({ err: error }, 'interaction not updated with its agent'));
  }

  /**
   * A callback offered to an agent: the agent's phone rings first (showing the customer's
   * number); when the agent picks up, the offer is accepted and the customer is dialled from the
   * bank's number. The outcome goes on the interaction (`callbackOutcome`, `callbackAttempts`);
   * a customer who does not answer leaves the agent in wrap-up to note it.
   */
  private async callBack(
    interactionId: string,
    agentId: string,
    extension: string,
    number: string,
  ): Promise<void> {
    const { acd, calls, interactions, logger } = this.o;
    const ring: Ring = { agentId, callId: '', offered: true };
    this.rings.set(interactionId, ring);
    let accepted = false;
    const outcome = await calls
      .callBack({
        extension,
        number,
        callerId: this.o.callerId,
        headers: [[interactionHeader, interactionId]],
        interactionId,
        started: (callId) => {
          ring.callId = callId;
          if (!ring.offered) calls.cancelRinging(callId);
        },
        agentAnswered: () => {
          if (this.rings.get(interactionId) === ring) this.rings.delete(interactionId);
          const state = acd.hasInteraction(interactionId) ? acd.interactionState(interactionId) : undefined;
          if (state?.agentId !== agentId) return false;
          if (state.state === 'offered') acd.accept(agentId, interactionId);
          else if (state.state !== 'connected') return false;
          accepted = true;
          // Connected from now on for the desk: the agent hanging up ends the contact like any call.
          this.link(ring.callId, { interactionId, agentId });
          return true;
        },
      })
      .finally(() => {
        if (this.rings.get(interactionId) === ring) this.rings.delete(interactionId);
      });
    const previous = await interactions.get(interactionId);
    const attempts =
      (typeof previous.data.callbackAttempts === 'number' ? previous.data.callbackAttempts : 0) + 1;
    if (outcome.kind === 'agent-failed') {
      logger.info(
        { agent: agentId, interaction: interactionId, status: outcome.status },
        "agent's phone did not take the callback",
      );
      if (ring.offered) this.declineIfOffered(interactionId, agentId);
      return;
    }
    const result: CallbackOutcome =
      outcome.kind === 'connected'
        ? 'connected'
        : outcome.reason === 'Agent Left'
          ? 'agent-left'
          : outcome.disposition === 'busy'
            ? 'busy'
            : outcome.disposition === 'no-answer'
              ? 'no-answer'
              : outcome.disposition === 'rejected'
                ? 'rejected'
                : 'failed';
    await interactions.update(interactionId, {
      agentId,
      data: { callId: outcome.callId, callbackOutcome: result, callbackAttempts: attempts },
    });
    if (outcome.kind !== 'connected' && accepted) {
      // The call ended before it began: call.ended released the agent to wrap-up, or does now.
      this.unlink(outcome.callId);
      const state = acd.hasInteraction(interactionId) ? acd.interactionState(interactionId) : undefined;
      if (state?.state === 'connected' && state.agentId === agentId) acd.release(agentId, interactionId);
    }
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
    this.unlink(callId);
    this.o.calls.end(callId).catch(() => undefined);
  }

  /** Either party hung up: the agent goes to wrap-up; a transferred caller still waiting leaves their queue. */
  private callEnded(callId: string): void {
    const { acd, interactions, logger } = this.o;
    const contact = this.connected.get(callId);
    if (contact) {
      this.unlink(callId);
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
