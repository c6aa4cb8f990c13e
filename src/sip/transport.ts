/**
 * The transport layer (RFC 3261 §18) as the rest of the stack sees it: a `Flow` is the path a
 * message came in on — a UDP source address, a TCP connection or a WebSocket — and can carry a
 * reply back the same way. Transactions and the core never learn which socket is underneath.
 */
import { type SipMessage, serializeMessage } from './message';
import type { SipSender } from './sender';

export const transportProtocols = ['udp', 'tcp', 'ws'] as const;
export type TransportProtocol = (typeof transportProtocols)[number];

export interface HostPort {
  address: string;
  port: number;
}

export interface Flow extends SipSender {
  /** Stable for the life of the connection (or UDP source); `udp:1.2.3.4:5060`, `tcp#7`, `ws#3`. */
  readonly id: string;
  readonly protocol: TransportProtocol;
  readonly remote: HostPort;
  readonly local: HostPort;
  /** True for TCP and WebSocket: no retransmissions (§17.1.1.2 Timer A applies to UDP only). */
  readonly reliable: boolean;
  readonly closed: boolean;
  /** Serializes and sends one message on this flow (a flow is a `Transport`). */
  send(message: SipMessage): Promise<void>;
  /** Writes bytes as they are (an already serialized message, a keep-alive). */
  write(data: Buffer): Promise<void>;
  close(): void;
}

/** What a transport hands upward: one complete message's bytes and the flow it arrived on. */
export type InboundHandler = (data: Buffer, flow: Flow) => void;

/** A listening socket of one protocol (UDP, TCP, WebSocket) and the flows it carries. */
export interface SipListener {
  readonly protocol: TransportProtocol;
  /** The address and port it listens on, once started. */
  readonly local: HostPort;
  /** A flow to a destination: the open connection to it if there is one, otherwise a new one (UDP: always). */
  flowTo(destination: HostPort): Promise<Flow>;
  close(): Promise<void>;
}

/** The Via transport token for a flow (§20.42, RFC 7118 §5.2). */
export function viaTransport(protocol: TransportProtocol): string {
  return protocol === 'ws' ? 'WS' : protocol.toUpperCase();
}

export function hostPortKey(hp: HostPort): string {
  return `${hp.address}:${hp.port}`;
}

/** The `send` of every flow: serialize, then write. */
export function sendMessage(
  flow: { write(data: Buffer): Promise<void> },
  message: SipMessage,
): Promise<void> {
  return flow.write(serializeMessage(message));
}
