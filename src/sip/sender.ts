import { type SipMessage, serializeMessage } from './message';

/**
 * The way back to one peer as transactions and dialogs see it (STYLE.md: the transport as an
 * interface `send(message): Promise<void>`). A transaction never learns whether it rides UDP,
 * TCP or WebSocket, only whether the path is reliable, because RFC 3261 retransmits over
 * unreliable transports only (§17.1.1.2, §17.1.2.2, §17.2.1).
 */
export interface SipSender {
  readonly reliable: boolean;
  /** Serializes and sends one message; rejects when it cannot be sent. */
  send(message: SipMessage): Promise<void>;
}

/** A SipSender over anything that sends bytes and knows if it is reliable (a transport flow). */
export function senderFor(flow: {
  readonly reliable: boolean;
  send(data: Buffer): Promise<void>;
}): SipSender {
  return { reliable: flow.reliable, send: (message) => flow.send(serializeMessage(message)) };
}
