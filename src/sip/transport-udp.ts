import dgram from 'node:dgram';
import type { SipMessage } from './message';
import type { Flow, HostPort, InboundHandler, SipListener } from './transport';
import { hostPortKey, sendMessage } from './transport';

class UdpFlow implements Flow {
  readonly protocol = 'udp' as const;
  readonly reliable = false;
  readonly closed = false;
  readonly id: string;

  constructor(
    private readonly socket: dgram.Socket,
    readonly remote: HostPort,
    readonly local: HostPort,
  ) {
    this.id = `udp:${hostPortKey(remote)}`;
  }

  send(message: SipMessage): Promise<void> {
    return sendMessage(this, message);
  }

  write(data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.send(data, this.remote.port, this.remote.address, (error) =>
        error ? reject(error) : resolve(),
      );
    });
  }

  close(): void {
    // A UDP "flow" is only an address; there is nothing to close.
  }
}

/**
 * SIP over UDP: one socket, each datagram one message (§18.1.1). Oversized datagrams are the
 * parser's to refuse. Flows are cached per source so a busy peer costs one object, not one per
 * packet; the cache is bounded.
 */
export class UdpTransport implements SipListener {
  readonly protocol = 'udp' as const;
  private readonly flows = new Map<string, UdpFlow>();
  private localAddress: HostPort = { address: '0.0.0.0', port: 0 };

  private constructor(private readonly socket: dgram.Socket) {}

  static async listen(
    host: string,
    port: number,
    onData: InboundHandler,
    onError: (error: Error) => void,
  ): Promise<UdpTransport> {
    const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', reuseAddr: false });
    const transport = new UdpTransport(socket);
    socket.on('message', (data, rinfo) =>
      onData(data, transport.flowFor({ address: rinfo.address, port: rinfo.port })),
    );
    socket.on('error', onError);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    // Large receive buffer: 1,200 calls' worth of SIP bursts must not be dropped by the kernel.
    try {
      socket.setRecvBufferSize(4 * 1024 * 1024);
      socket.setSendBufferSize(4 * 1024 * 1024);
    } catch {
      // The kernel may cap these (net.core.rmem_max); the default still works, only with less headroom.
    }
    const address = socket.address();
    transport.localAddress = { address: address.address, port: address.port };
    return transport;
  }

  get local(): HostPort {
    return this.localAddress;
  }

  private flowFor(remote: HostPort): UdpFlow {
    const key = hostPortKey(remote);
    let flow = this.flows.get(key);
    if (!flow) {
      if (this.flows.size > 100_000) this.flows.clear();
      flow = new UdpFlow(this.socket, remote, this.localAddress);
      this.flows.set(key, flow);
    }
    return flow;
  }

  async flowTo(destination: HostPort): Promise<Flow> {
    return this.flowFor(destination);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
