import type { AgentId, CustomerId, InteractionId } from '../core/index';
import type { AgentState, Channel, Presence, QueueId, QueueStatistics } from './types';

/**
 * The domain events the ACD publishes. Every agent transition and every step of an interaction
 * through the ACD is one event, with the engine's clock time in `at`.
 */
export interface AcdEvents {
  'acd.agent.state-changed': {
    agentId: AgentId;
    from: AgentState;
    to: AgentState;
    presence: Presence;
    at: number;
  };
  /** The agent changed presence while holding work, so the visible state did not move yet. */
  'acd.agent.presence-changed': { agentId: AgentId; presence: Presence; at: number };
  'acd.interaction.queued': {
    interactionId: InteractionId;
    queueId: QueueId;
    position: number;
    ewtMs: number | null;
    at: number;
  };
  'acd.interaction.offered': {
    interactionId: InteractionId;
    queueId: QueueId;
    agentId: AgentId;
    /**
     * So the agent desktop can start the customer's 360° read as the offer arrives, in parallel
     * with the interaction read. The id only: names and other personal data never ride on events.
     */
    customerId: CustomerId | null;
    /** The queue's channel, which the interaction rides on. */
    channel: Channel;
    offerDeadline: number | null;
    waitedMs: number;
    at: number;
  };
  'acd.interaction.connected': {
    interactionId: InteractionId;
    queueId: QueueId;
    agentId: AgentId;
    waitedMs: number;
    at: number;
  };
  /** Back in the queue (at its head) after an offer went unanswered, was declined or the agent left. */
  'acd.interaction.requeued': {
    interactionId: InteractionId;
    queueId: QueueId;
    agentId: AgentId;
    reason: 'no-answer' | 'declined' | 'agent-logged-out';
    at: number;
  };
  'acd.interaction.overflowed': { interactionId: InteractionId; queueId: QueueId; stage: number; at: number };
  'acd.interaction.wrap-up': { interactionId: InteractionId; agentId: AgentId; deadline: number; at: number };
  'acd.interaction.wrap-up-extended': {
    interactionId: InteractionId;
    agentId: AgentId;
    deadline: number;
    at: number;
  };
  'acd.interaction.completed': {
    interactionId: InteractionId;
    queueId: QueueId;
    agentId: AgentId;
    handleMs: number;
    wrapUpMs: number;
    /** `deadline`: wrap-up ran its time; `agent`: the agent ended it; `released`: no wrap-up configured. */
    reason: 'deadline' | 'agent' | 'released' | 'agent-logged-out';
    /** The agent's wrap-up code (one of the configured list), or null when none was given. */
    wrapUpCode: string | null;
    at: number;
  };
  'acd.interaction.abandoned': {
    interactionId: InteractionId;
    queueId: QueueId;
    waitedMs: number;
    /** The customer left while an agent's phone was ringing. */
    whileOffered: boolean;
    at: number;
  };
  'acd.interaction.max-wait': {
    interactionId: InteractionId;
    queueId: QueueId;
    waitedMs: number;
    at: number;
  };
  'acd.interaction.canceled': { interactionId: InteractionId; queueId: QueueId; reason: string; at: number };
  'acd.interaction.callback-offer': {
    interactionId: InteractionId;
    queueId: QueueId;
    ewtMs: number;
    at: number;
  };
  'acd.interaction.callback-accepted': {
    interactionId: InteractionId;
    queueId: QueueId;
    position: number;
    at: number;
  };
  /** Position and wait announcement for the IVR, the chat widget and the API. */
  'acd.interaction.position': {
    interactionId: InteractionId;
    queueId: QueueId;
    position: number;
    ewtMs: number | null;
    at: number;
  };
  'acd.queue.statistics': QueueStatistics;
}

/** The port the engine publishes through; the app forwards to the event bus. */
export type AcdPublisher = <K extends keyof AcdEvents>(type: K, payload: AcdEvents[K]) => void;

declare module '../core/index' {
  interface DomainEvents extends AcdEvents {}
}
