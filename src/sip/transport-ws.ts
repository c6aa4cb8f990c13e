import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { SipError } from './errors';
import type { SipMessage } from './message';
import type { Flow, HostPort, InboundHandler, SipListener } from './transport';
import { hostPortKey, sendMessage } from './transport';

/**
 * A send on a connection the peer has closed (or reset): routine for a server, so it is a
 * SIP_TRANSPORT error the server logs quietly, not a fault.
 */
function transportError(message: string, cause?: unknown): SipError {
  return new SipError('SIP_TRANSPORT', 503, 'Service Unavailable', { message, cause });
}

let nextSocket = 1;

class WsFlow implements Flow {
  readonly protocol = 'ws' as const;
  readonly reliable = true;
  readonly id = `ws#${nextSocket++}`;
  closed = false;

  constructor(
    private readonly socket: WebSocket,
    readonly remote: HostPort,
    readonly local: HostPort,
  ) {}

  send(message: SipMessage): Promise<void> {
    return sendMessage(this, message);
  }

  write(data: Buffer): Promise<void> {
    if (this.closed || socketClosed(this.socket)) {
      return Promise.reject(transportError(`WebSocket ${this.id} to ${hostPortKey(this.remote)} is closed`));
    }
    // RFC 7118 §5.1: a SIP message is one WebSocket message, in a text frame when it is valid
    // UTF-8 and in a binary frame otherwise (a body such as a binary multipart would be mangled
    // by decoding it as text).
    return new Promise((resolve, reject) =>
      this.socket.send(isUtf8(data) ? data.toString('utf8') : data, (error) =>
        error
          ? reject(
              transportError(`WebSocket ${this.id} to ${hostPortKey(this.remote)}: ${error.message}`, error),
            )
          : resolve(),
      ),
    );
  }

  close(): void {
    this.closed = true;
    this.socket.close(1000);
  }
}

function socketClosed(socket: WebSocket): boolean {
  return socket.readyState !== socket.OPEN;
}

/**
 * SIP over WebSocket (RFC 7118) at `/sip` on the HTTP port, for browsers (SIP.js). The
 * WebSocket server negotiates the `sip` subprotocol (see the api module's websocket options).
 * Browsers cannot be dialled: a flow exists only while the browser keeps its socket open, so
 * requests to a WebSocket contact go over the socket it registered from.
 */
export class WsTransport implements SipListener {
  readonly protocol = 'ws' as const;
  private readonly byRemote = new Map<string, WsFlow>();
  private localAddress: HostPort = { address: '0.0.0.0', port: 0 };

  /**
   * @param onClosed told when a browser's socket closes: nothing can reach that browser any more,
   *   so what was bound to the flow (its registrations) should go with it.
   */
  constructor(
    private readonly onData: InboundHandler,
    private readonly maxMessageBytes: number,
    private readonly onClosed: (flow: Flow) => void = () => undefined,
  ) {}

  get local(): HostPort {
    return this.localAddress;
  }

  /** The Fastify plugin that serves `/sip`; authentication is SIP digest, not an HTTP session. */
  readonly plugin = async (app: FastifyInstance): Promise<void> => {
    app.get(
      '/sip',
      {
        websocket: true,
        config: { access: 'public' },
        schema: { hide: true },
        // RFC 7118 §4.1: a SIP WebSocket client offers the "sip" subprotocol. The WebSocket
        // server lets a handshake without one through (it only picks among those offered), so
        // the refusal is here, before the upgrade: 400 and no WebSocket.
        preValidation: async (request: FastifyRequest, reply: FastifyReply) => {
          if (!offersSip(request.headers['sec-websocket-protocol'])) {
            await reply.code(400).type('application/problem+json').send({
              type: 'about:blank',
              title: 'SIP over WebSocket needs the "sip" subprotocol (RFC 7118 §4.1)',
              status: 400,
              code: 'SIP_WS_SUBPROTOCOL',
            });
          }
        },
      },
      (socket: WebSocket, request: FastifyRequest) => {
        if (socket.protocol !== 'sip') {
          socket.close(1002, 'the sip subprotocol is required');
          return;
        }
        const remote = { address: request.ip, port: request.socket.remotePort ?? 0 };
        const local = {
          address: request.socket.localAddress ?? '0.0.0.0',
          port: request.socket.localPort ?? 0,
        };
        this.localAddress = local;
        const flow = new WsFlow(socket, remote, local);
        const key = hostPortKey(remote);
        this.byRemote.set(key, flow);
        socket.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
          const bytes = Buffer.isBuffer(data)
            ? data
            : Array.isArray(data)
              ? Buffer.concat(data)
              : Buffer.from(data);
          if (bytes.length > this.maxMessageBytes) {
            socket.close(1009, 'message too big');
            return;
          }
          // Keep-alives: SIP.js and others send a double CRLF over the WebSocket and wait for a
          // single CRLF back, as RFC 5626 §3.5.1 does on TCP; a lone CRLF is ignored.
          if (isOnlyCrlf(bytes)) {
            if (bytes.toString('latin1') === '\r\n\r\n') socket.send('\r\n');
            return;
          }
          this.onData(bytes, flow);
        });
        socket.on('close', () => {
          flow.closed = true;
          if (this.byRemote.get(key) === flow) this.byRemote.delete(key);
          this.onClosed(flow);
        });
      },
    );
  };

  async flowTo(destination: HostPort): Promise<Flow> {
    const flow = this.byRemote.get(hostPortKey(destination));
    if (!flow || flow.closed) throw transportError(`no open WebSocket from ${hostPortKey(destination)}`);
    return flow;
  }

  async close(): Promise<void> {
    for (const flow of this.byRemote.values()) flow.close();
  }
}

/** Whether a Sec-WebSocket-Protocol header offers "sip" (a comma-separated list, RFC 6455 §4.1). */
function offersSip(header: string | string[] | undefined): boolean {
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  return values.some((value) => value.split(',').some((p) => p.trim() === 'sip'));
}

function isOnlyCrlf(bytes: Buffer): boolean {
  return bytes.length <= 4 && bytes.length > 0 && bytes.every((b) => b === 13 || b === 10);
}
