import net from 'node:net';
import { SipError } from './errors';
import { StreamFramer } from './framer';
import type { SipMessage } from './message';
import { serializeMessage } from './message';
import type { Flow, HostPort, InboundHandler, SipListener } from './transport';
import { hostPortKey, sendMessage } from './transport';
import { responseFromSalvage } from './validate';

/**
 * A send on a connection the peer has closed (or reset): routine for a server, so it is a
 * SIP_TRANSPORT error the server logs quietly, not a fault.
 */
function transportError(message: string, cause?: unknown): SipError {
  return new SipError('SIP_TRANSPORT', 503, 'Service Unavailable', { message, cause });
}

let nextConnection = 1;

class TcpFlow implements Flow {
  readonly protocol = 'tcp' as const;
  readonly reliable = true;
  readonly id = `tcp#${nextConnection++}`;
  closed = false;

  constructor(
    private readonly socket: net.Socket,
    readonly remote: HostPort,
    readonly local: HostPort,
  ) {}

  send(message: SipMessage): Promise<void> {
    return sendMessage(this, message);
  }

  write(data: Buffer): Promise<void> {
    if (this.closed)
      return Promise.reject(transportError(`connection ${this.id} to ${hostPortKey(this.remote)} is closed`));
    return new Promise((resolve, reject) =>
      this.socket.write(data, (error) =>
        error
          ? reject(
              transportError(`connection ${this.id} to ${hostPortKey(this.remote)}: ${error.message}`, error),
            )
          : resolve(),
      ),
    );
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }
}

export interface TcpOptions {
  maxMessageBytes: number;
  /** A connection that sends nothing for this long is closed. Default 10 minutes. */
  idleTimeoutMs?: number;
  /**
   * How long one message may take to arrive, from its first byte to its last; a connection that
   * trickles a message slower than this is closed (slow-loris protection: the idle timeout alone
   * is reset by every byte). Default 30 s.
   */
  messageTimeoutMs?: number;
  /** Most connections in all. Default 20,000. */
  maxConnections?: number;
  /**
   * Most connections open at once from one remote address; more are closed as they come (one
   * host opening thousands would starve every other phone of the shared limit). Default 256: a
   * branch office of desk phones behind one NAT address stays well under it.
   */
  maxConnectionsPerAddress?: number;
  /** Addresses the per-address limit does not apply to: trunks and a front proxy (Kamailio). */
  unlimitedAddresses?: readonly string[];
}

/** An IPv4 peer on a dual-stack socket shows as ::ffff:a.b.c.d; it is the same host as a.b.c.d. */
function hostOf(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** After a framing error, how long the requests framed before it have to be answered before the connection is ended. */
const ANSWER_GRACE_MS = 250;
/** After ending a connection that failed, how long the peer has to read what was sent before the socket is destroyed. */
const CLOSE_GRACE_MS = 1000;

/**
 * SIP over TCP (§18.3): a StreamFramer per connection cuts messages by Content-Length. A framing
 * error answers with the salvaged status when it can and closes the connection, since the stream
 * cannot be resynchronised. A message must arrive whole within a deadline, so a peer cannot hold
 * a connection and its buffer open by trickling bytes. Connections are kept by remote address, so
 * responses and requests to a registered TCP contact reuse the connection the phone opened (it is
 * usually behind NAT).
 */
export class TcpTransport implements SipListener {
  readonly protocol = 'tcp' as const;
  private readonly byRemote = new Map<string, TcpFlow>();
  private readonly sockets = new Set<net.Socket>();
  private readonly perAddress = new Map<string, number>();
  private readonly unlimited: ReadonlySet<string>;
  /** Inbound connections closed on arrival because their address had too many open. */
  refusedConnections = 0;
  private localAddress: HostPort = { address: '0.0.0.0', port: 0 };

  private constructor(
    private readonly server: net.Server,
    private readonly onData: InboundHandler,
    private readonly options: TcpOptions,
  ) {
    this.unlimited = new Set((options.unlimitedAddresses ?? []).map(hostOf));
  }

  static async listen(
    host: string,
    port: number,
    onData: InboundHandler,
    options: TcpOptions,
  ): Promise<TcpTransport> {
    const server = net.createServer();
    const transport = new TcpTransport(server, onData, options);
    server.maxConnections = options.maxConnections ?? 20_000;
    server.on('connection', (socket) => transport.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as net.AddressInfo;
    transport.localAddress = { address: address.address, port: address.port };
    return transport;
  }

  get local(): HostPort {
    return this.localAddress;
  }

  /** An inbound connection: adopted, unless its address already has as many open as it may. */
  private accept(socket: net.Socket): void {
    const host = hostOf(socket.remoteAddress ?? '');
    const open = this.perAddress.get(host) ?? 0;
    if (open >= (this.options.maxConnectionsPerAddress ?? 256) && !this.unlimited.has(host)) {
      this.refusedConnections++;
      socket.resetAndDestroy();
      return;
    }
    this.adopt(socket);
  }

  private adopt(socket: net.Socket): TcpFlow {
    const remote = { address: socket.remoteAddress ?? '0.0.0.0', port: socket.remotePort ?? 0 };
    const local = {
      address: socket.localAddress ?? this.localAddress.address,
      port: socket.localPort ?? this.localAddress.port,
    };
    const flow = new TcpFlow(socket, remote, local);
    const key = hostPortKey(remote);
    this.byRemote.set(key, flow);
    this.sockets.add(socket);
    const host = hostOf(remote.address);
    this.perAddress.set(host, (this.perAddress.get(host) ?? 0) + 1);
    socket.setNoDelay(true);
    socket.setTimeout(this.options.idleTimeoutMs ?? 10 * 60_000, () => socket.destroy());
    const framer = new StreamFramer({ maxMessageBytes: this.options.maxMessageBytes });
    const messageTimeoutMs = this.options.messageTimeoutMs ?? 30_000;
    let messageTimer: NodeJS.Timeout | undefined;
    const stopMessageTimer = () => {
      if (messageTimer) clearTimeout(messageTimer);
      messageTimer = undefined;
    };
    const startMessageTimer = () => {
      messageTimer = setTimeout(() => {
        messageTimer = undefined;
        socket.destroy();
      }, messageTimeoutMs);
      messageTimer.unref();
    };
    // Until its first message, a connection is on the message deadline too: one that connects
    // and says nothing would otherwise hold a slot for the whole idle timeout.
    let spoken = false;
    startMessageTimer();
    let failed = false;
    /**
     * The stream cannot be resynchronised (RFC 4475 §3.3.9): answer what can be answered and
     * close. A response needs the request's Via to be matched at all (§8.2.6.2), so without one
     * (or for a response, or an ACK) nothing is sent. The connection stays writable for a moment
     * first: requests framed before the error are being answered.
     */
    const fail = (error: SipError) => {
      failed = true;
      stopMessageTimer();
      const salvage = error.salvage;
      if (salvage && !salvage.isResponse && salvage.method !== 'ACK' && salvage.headers.has('via')) {
        socket.write(serializeMessage(responseFromSalvage(salvage, error.status, error.reason)));
      }
      setTimeout(() => {
        flow.closed = true;
        socket.end();
        // A peer that never closes its side must not keep the socket: give it time to read.
        setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
      }, ANSWER_GRACE_MS).unref();
    };
    socket.on('data', (chunk) => {
      if (failed) return;
      const frames = framer.push(chunk);
      for (const frame of frames) {
        // RFC 5626 §3.5.1: a double-CRLF ping is answered with a single CRLF pong.
        if (frame.kind === 'keepalive') socket.write('\r\n');
        else if (frame.kind === 'message') this.onData(frame.data, flow);
        else {
          fail(frame.error);
          return;
        }
      }
      // The message deadline runs from the first byte of a message that is not complete yet,
      // and starts again with each message completed. Up to three bytes may be the start of a
      // CRLF keep-alive (a peer sending lone CRLFs leaves them waiting), which is not a message.
      if (frames.some((f) => f.kind === 'message')) {
        spoken = true;
        stopMessageTimer();
      } else if (spoken && framer.buffered <= 3) stopMessageTimer();
      if (framer.buffered > 3 && !messageTimer) startMessageTimer();
    });
    const forget = () => {
      stopMessageTimer();
      flow.closed = true;
      // 'close' follows 'error': the socket is counted out once.
      if (!this.sockets.delete(socket)) return;
      const left = (this.perAddress.get(host) ?? 1) - 1;
      if (left > 0) this.perAddress.set(host, left);
      else this.perAddress.delete(host);
      if (this.byRemote.get(key) === flow) this.byRemote.delete(key);
    };
    socket.on('close', forget);
    socket.on('error', forget);
    return flow;
  }

  async flowTo(destination: HostPort): Promise<Flow> {
    const existing = this.byRemote.get(hostPortKey(destination));
    if (existing && !existing.closed) return existing;
    const socket = net.connect({ host: destination.address, port: destination.port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    return this.adopt(socket);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
