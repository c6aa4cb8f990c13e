import net from 'node:net';
import { isSipError } from './errors';
import { StreamFramer } from './framer';
import type { SipMessage } from './message';
import { serializeMessage } from './message';
import type { Flow, HostPort, InboundHandler, SipListener } from './transport';
import { hostPortKey, sendMessage } from './transport';
import { responseFromSalvage } from './validate';

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
      return Promise.reject(new Error(`connection ${this.id} to ${hostPortKey(this.remote)} is closed`));
    return new Promise((resolve, reject) =>
      this.socket.write(data, (error) => (error ? reject(error) : resolve())),
    );
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }
}

export interface TcpOptions {
  maxMessageBytes: number;
  /** A connection that sends nothing for this long is closed (slow-loris protection). */
  idleTimeoutMs?: number;
  maxConnections?: number;
}

/**
 * SIP over TCP (§18.3): a StreamFramer per connection cuts messages by Content-Length. A framing
 * error answers with the salvaged status when it can and closes the connection, since the stream
 * cannot be resynchronised. Connections are kept by remote address, so responses and requests to a
 * registered TCP contact reuse the connection the phone opened (it is usually behind NAT).
 */
export class TcpTransport implements SipListener {
  readonly protocol = 'tcp' as const;
  private readonly byRemote = new Map<string, TcpFlow>();
  private readonly sockets = new Set<net.Socket>();
  private localAddress: HostPort = { address: '0.0.0.0', port: 0 };

  private constructor(
    private readonly server: net.Server,
    private readonly onData: InboundHandler,
    private readonly options: TcpOptions,
  ) {}

  static async listen(
    host: string,
    port: number,
    onData: InboundHandler,
    options: TcpOptions,
  ): Promise<TcpTransport> {
    const server = net.createServer();
    const transport = new TcpTransport(server, onData, options);
    server.maxConnections = options.maxConnections ?? 20_000;
    server.on('connection', (socket) => transport.adopt(socket));
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
    socket.setNoDelay(true);
    socket.setTimeout(this.options.idleTimeoutMs ?? 10 * 60_000, () => socket.destroy());
    const framer = new StreamFramer({ maxMessageBytes: this.options.maxMessageBytes });
    socket.on('data', (chunk) => {
      let frames: ReturnType<StreamFramer['push']>;
      try {
        frames = framer.push(chunk);
      } catch (error) {
        if (
          isSipError(error) &&
          error.salvage &&
          !error.salvage.isResponse &&
          error.salvage.method !== 'ACK'
        ) {
          const response = responseFromSalvage(error.salvage, error.status, error.reason);
          socket.end(serializeMessage(response));
        } else socket.destroy();
        flow.closed = true;
        return;
      }
      for (const frame of frames) {
        // RFC 5626 §3.5.1: a double-CRLF ping is answered with a single CRLF pong.
        if (frame.kind === 'keepalive') socket.write('\r\n');
        else this.onData(frame.data, flow);
      }
    });
    const forget = () => {
      flow.closed = true;
      this.sockets.delete(socket);
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
