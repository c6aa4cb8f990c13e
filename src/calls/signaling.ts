import {
  type ClientTransactionUser,
  type Flow,
  newBranch,
  type SipRequest,
  type SipResponse,
  type SipServer,
  type Via,
} from '../sip/index';

/** A Via for a request Teller sends on `flow`, with a fresh branch (§8.1.1.7) and rport (RFC 3581). */
export function viaFor(server: SipServer, flow: Flow): Via {
  const ws = flow.protocol === 'ws';
  return {
    protocol: 'SIP',
    version: '2.0',
    transport: ws ? 'WS' : flow.protocol.toUpperCase(),
    // RFC 7118 §5.2: over WebSocket the sent-by is an invalid domain; responses come back on the socket.
    host: ws ? 'teller.invalid' : server.advertisedHost,
    ...(ws ? {} : { port: server.port }),
    params: new Map<string, string | null>([
      ['branch', newBranch()],
      ['rport', null],
    ]),
  };
}

/** Our Contact URI on a flow: where the peer sends in-dialog requests. */
export function contactFor(server: SipServer, flow: Flow): string {
  if (flow.protocol === 'ws') return 'sip:teller@teller.invalid;transport=ws';
  return `sip:teller@${server.advertisedHost}:${server.port};transport=${flow.protocol}`;
}

/**
 * Sends a request in a client transaction and resolves with its final response; provisional
 * responses go to `onProvisional`. A timeout resolves as 408 and a transport failure as 503,
 * as §8.1.3.1 says the UAC treats them.
 */
export function sendRequest(
  server: SipServer,
  request: SipRequest,
  flow: Flow,
  onProvisional?: (response: SipResponse) => void,
  onTransaction?: (transaction: ReturnType<SipServer['sendRequest']>) => void,
): Promise<SipResponse> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (response: SipResponse) => {
      if (done) return;
      done = true;
      resolve(response);
    };
    const synthetic = (status: number, reason: string): SipResponse => ({
      kind: 'response',
      status,
      reason,
      headers: request.headers,
      body: Buffer.alloc(0),
    });
    const user: ClientTransactionUser = {
      onResponse: (response) => {
        if (response.status < 200) onProvisional?.(response);
        else finish(response);
      },
      onTimeout: () => finish(synthetic(408, 'Request Timeout')),
      onTransportError: () => finish(synthetic(503, 'Service Unavailable')),
    };
    try {
      const transaction = server.sendRequest(request, flow, user);
      onTransaction?.(transaction);
    } catch {
      finish(synthetic(503, 'Service Unavailable'));
    }
  });
}
