import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/index';
import {
  type ClientTransactionUser,
  createCancel,
  createResponse,
  getCSeq,
  getTo,
  getVias,
  InviteClientTransaction,
  InviteServerTransaction,
  isSipError,
  NonInviteServerTransaction,
  parseMessage,
  type ServerTransaction,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  type SipSender,
  serializeMessage,
  type TransactionCore,
  TransactionLayer,
} from '../index';

/** A sender that records what it is given and when; the transport is not what is under test. */
class RecordingSender implements SipSender {
  readonly sent: { at: number; message: SipMessage }[] = [];
  failWith: Error | undefined;
  constructor(
    private readonly clock: VirtualClock,
    readonly reliable = false,
  ) {}
  async send(message: SipMessage): Promise<void> {
    this.sent.push({ at: this.clock.now(), message });
    if (this.failWith) throw this.failWith;
  }
  times(): number[] {
    return this.sent.map((s) => s.at);
  }
  last(): SipMessage {
    return this.sent[this.sent.length - 1]!.message;
  }
}

class RecordingCore implements TransactionCore {
  readonly requests: { request: SipRequest; transaction: ServerTransaction }[] = [];
  readonly acks: SipRequest[] = [];
  readonly strays: SipResponse[] = [];
  readonly timeouts: ServerTransaction[] = [];
  onRequest(request: SipRequest, transaction: ServerTransaction): void {
    this.requests.push({ request, transaction });
  }
  onAck(ack: SipRequest): void {
    this.acks.push(ack);
  }
  onStrayResponse(response: SipResponse): void {
    this.strays.push(response);
  }
  onServerTimeout(transaction: ServerTransaction): void {
    this.timeouts.push(transaction);
  }
}

class RecordingUser implements ClientTransactionUser {
  readonly responses: number[] = [];
  timeouts = 0;
  errors: unknown[] = [];
  onResponse(response: SipResponse): void {
    this.responses.push(response.status);
  }
  onTimeout(): void {
    this.timeouts++;
  }
  onTransportError(error: unknown): void {
    this.errors.push(error);
  }
}

function request(
  method: string,
  options: { branch?: string | null; toTag?: string; cseq?: number; via?: string } = {},
): SipRequest {
  const branch = options.branch === undefined ? 'z9hG4bKtx1' : options.branch;
  const via = options.via ?? `SIP/2.0/UDP 192.0.2.10:5062${branch === null ? '' : `;branch=${branch}`}`;
  const text =
    `${method} sip:8888@127.0.0.1 SIP/2.0\r\nVia: ${via}\r\nMax-Forwards: 70\r\n` +
    'Route: <sip:edge.example.com;lr>\r\nFrom: <sip:1001@127.0.0.1>;tag=caller\r\n' +
    `To: <sip:8888@127.0.0.1>${options.toTag ? `;tag=${options.toTag}` : ''}\r\nCall-ID: call-1\r\n` +
    `CSeq: ${options.cseq ?? 1} ${method}\r\nContent-Length: 0\r\n\r\n`;
  const message = parseMessage(text);
  if (message.kind !== 'request') throw new Error('not a request');
  return message;
}

function reply(to: SipRequest, status: number, toTag = 'callee'): SipResponse {
  return createResponse(to, status, { toTag });
}

function setup(reliable = false) {
  const clock = new VirtualClock(0);
  const core = new RecordingCore();
  const reported: string[] = [];
  const layer = new TransactionLayer({ clock, core, report: (_e, context) => reported.push(context) });
  const sender = new RecordingSender(clock, reliable);
  return { clock, core, layer, sender, reported };
}

describe('INVITE client transaction (§17.1.1)', () => {
  it('over UDP retransmits on Timer A, doubling, and times out on Timer B at 64*T1', () => {
    const { clock, layer, sender } = setup();
    const user = new RecordingUser();
    const transaction = layer.sendRequest(request('INVITE'), sender, user);
    clock.advance(31_999);
    expect(sender.times()).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(user.timeouts).toBe(0);
    clock.advance(1);
    expect(user.timeouts).toBe(1);
    expect(transaction.state).toBe('terminated');
    expect(layer.counts.client).toBe(0);
  });

  it('stops retransmitting on a provisional, and Timer B no longer applies', () => {
    const { clock, layer, sender } = setup();
    const user = new RecordingUser();
    const invite = request('INVITE');
    const transaction = layer.sendRequest(invite, sender, user);
    clock.advance(600);
    layer.receive(reply(invite, 180), sender);
    clock.advance(100_000);
    expect(sender.times()).toEqual([0, 500]);
    expect(transaction.state).toBe('proceeding');
    expect(user).toMatchObject({ responses: [180], timeouts: 0 });
  });

  it('acknowledges a final non-2xx itself, per §17.1.1.3, and again for each retransmission', () => {
    const { clock, layer, sender } = setup();
    const user = new RecordingUser();
    const invite = request('INVITE');
    const transaction = layer.sendRequest(invite, sender, user);
    const busy = reply(invite, 486, 'busy1');
    layer.receive(busy, sender);
    const ack = sender.last();
    expect(ack.kind === 'request' && ack.method).toBe('ACK');
    expect(ack.kind === 'request' && ack.uri).toEqual(invite.uri);
    expect(getVias(ack)).toEqual(getVias(invite).slice(0, 1));
    expect(getTo(ack).params.get('tag')).toBe('busy1');
    expect(getCSeq(ack)).toEqual({ seq: 1, method: 'ACK' });
    expect(ack.headers.getAll('route')).toEqual(invite.headers.getAll('route'));
    expect(ack.headers.get('call-id')).toBe('call-1');
    expect(transaction.state).toBe('completed');
    layer.receive(busy, sender);
    expect(
      sender.sent.filter((s) => s.message.kind === 'request' && s.message.method === 'ACK'),
    ).toHaveLength(2);
    expect(user.responses).toEqual([486]);
    clock.advance(31_999);
    expect(transaction.state).toBe('completed');
    clock.advance(1);
    expect(transaction.state).toBe('terminated');
  });

  it('passes every 2xx up in Accepted (RFC 6026), for 64*T1 (Timer M), then they are strays', () => {
    const { clock, core, layer, sender } = setup();
    const user = new RecordingUser();
    const invite = request('INVITE');
    const transaction = layer.sendRequest(invite, sender, user);
    const ok = reply(invite, 200);
    layer.receive(ok, sender);
    layer.receive(ok, sender);
    layer.receive(reply(invite, 486), sender);
    expect(user.responses).toEqual([200, 200]);
    expect(transaction.state).toBe('accepted');
    expect(sender.sent).toHaveLength(1); // the TU, not the transaction, acknowledges a 2xx
    clock.advance(32_000);
    expect(transaction.state).toBe('terminated');
    layer.receive(ok, sender);
    expect(core.strays.map((r) => r.status)).toEqual([200]);
  });

  it('over TCP never retransmits, and ends at once after acknowledging a failure (Timer D = 0)', () => {
    const { clock, layer, sender } = setup(true);
    const user = new RecordingUser();
    const invite = request('INVITE');
    const transaction = layer.sendRequest(invite, sender, user);
    clock.advance(10_000);
    expect(sender.times()).toEqual([0]);
    layer.receive(reply(invite, 603), sender);
    expect(transaction.state).toBe('terminated');
    expect(sender.sent).toHaveLength(2);
    const other = layer.sendRequest(request('INVITE', { branch: 'z9hG4bKtx2' }), sender, new RecordingUser());
    clock.advance(32_000);
    expect(other.state).toBe('terminated');
  });

  it('ends with a transport error when the send fails', async () => {
    const { layer, sender } = setup();
    sender.failWith = new Error('ECONNREFUSED');
    const user = new RecordingUser();
    const transaction = layer.sendRequest(request('INVITE'), sender, user);
    await Promise.resolve();
    expect(transaction.state).toBe('terminated');
    expect(user.errors).toEqual([sender.failWith]);
  });

  it('abandon() ends it silently, timers and all, emitting the one change', () => {
    const { layer, sender } = setup();
    const transaction = layer.sendRequest(request('INVITE'), sender, new RecordingUser());
    expect(transaction).toBeInstanceOf(InviteClientTransaction);
    expect(transaction.runningTimers()).toEqual(['A', 'B']);
    const changes: string[] = [];
    transaction.onStateChange((from, to) => changes.push(`${from}>${to}`));
    transaction.abandon();
    transaction.abandon();
    expect(changes).toEqual(['calling>terminated']);
    expect(transaction.runningTimers()).toEqual([]);
  });
});

describe('transition()', () => {
  /** Reaches the protected transition() to try an edge no event of the machine would take. */
  class Probe extends NonInviteServerTransaction {
    force(state: 'trying' | 'proceeding' | 'completed' | 'terminated'): void {
      this.transition(state);
    }
  }

  it('refuses an edge the machine does not have, naming both states', () => {
    const clock = new VirtualClock(0);
    const probe = new Probe(
      'probe',
      {
        clock,
        timers: { t1: 500, t2: 4000, t4: 5000 },
        transport: new RecordingSender(clock),
        report: () => undefined,
        onTerminated: () => undefined,
      },
      request('OPTIONS'),
    );
    probe.force('completed');
    expect(() => probe.force('proceeding')).toThrowError(
      'Probe probe: no transition from completed to proceeding',
    );
    expect(probe.state).toBe('completed');
  });
});

describe('non-INVITE client transaction (§17.1.2)', () => {
  it('over UDP retransmits on Timer E up to T2, and times out on Timer F', () => {
    const { clock, layer, sender } = setup();
    const user = new RecordingUser();
    layer.sendRequest(request('OPTIONS'), sender, user);
    clock.advance(32_000);
    expect(sender.times()).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(user.timeouts).toBe(1);
  });

  it('in Proceeding retransmits every T2', () => {
    const { clock, layer, sender } = setup();
    const user = new RecordingUser();
    const options = request('OPTIONS');
    const transaction = layer.sendRequest(options, sender, user);
    clock.advance(600);
    layer.receive(reply(options, 100), sender);
    expect(transaction.state).toBe('proceeding');
    clock.advance(10_000);
    expect(sender.times()).toEqual([0, 500, 1500, 5500, 9500]);
  });

  it('absorbs retransmitted finals in Completed and ends after Timer K (T4)', () => {
    const { clock, layer, sender } = setup();
    const user = new RecordingUser();
    const options = request('OPTIONS');
    const transaction = layer.sendRequest(options, sender, user);
    layer.receive(reply(options, 200), sender);
    layer.receive(reply(options, 200), sender);
    expect(user.responses).toEqual([200]);
    clock.advance(4_999);
    expect(transaction.state).toBe('completed');
    clock.advance(1);
    expect(transaction.state).toBe('terminated');
    expect(sender.times()).toEqual([0]);
  });

  it('over TCP: no Timer E, and Timer K is zero', () => {
    const { clock, layer, sender } = setup(true);
    const user = new RecordingUser();
    const bye = request('BYE');
    const transaction = layer.sendRequest(bye, sender, user);
    clock.advance(20_000);
    layer.receive(reply(bye, 200), sender);
    expect(transaction.state).toBe('terminated');
    expect(sender.times()).toEqual([0]);
  });
});

describe('INVITE server transaction (§17.2.1)', () => {
  it('sends 100 Trying when the TU has not answered within 200 ms', () => {
    const { clock, core, layer, sender } = setup();
    layer.receive(request('INVITE'), sender);
    clock.advance(199);
    expect(sender.sent).toHaveLength(0);
    clock.advance(1);
    expect(sender.sent.map((s) => s.message.kind === 'response' && s.message.status)).toEqual([100]);
    expect(core.requests).toHaveLength(1);
  });

  it('copies the request’s Timestamp into the 100 Trying, with the 200 ms it waited as the delay (§8.2.6.1)', () => {
    const { clock, layer, sender } = setup();
    const invite = parseMessage(
      serializeMessage(request('INVITE')).toString().replace('Call-ID:', 'Timestamp: 54.25\r\nCall-ID:'),
    ) as SipRequest;
    layer.receive(invite, sender);
    clock.advance(200);
    const trying = sender.last() as SipResponse;
    expect(trying.status).toBe(100);
    expect(trying.headers.getAll('timestamp')).toEqual(['54.25 0.200']);
    // Without a Timestamp in the request there is none in the 100.
    const other = setup();
    other.layer.receive(request('INVITE'), other.sender);
    other.clock.advance(200);
    expect((other.sender.last() as SipResponse).headers.has('timestamp')).toBe(false);
  });

  it('sends no 100 when the TU answers first', () => {
    const { clock, core, layer, sender } = setup();
    layer.receive(request('INVITE'), sender);
    core.requests[0]!.transaction.respond(reply(core.requests[0]!.request, 180));
    clock.advance(1000);
    expect(sender.sent.map((s) => s.message.kind === 'response' && s.message.status)).toEqual([180]);
  });

  it('answers INVITE retransmissions with the last provisional, and hides them from the core', () => {
    const { core, layer, sender } = setup();
    const invite = request('INVITE');
    layer.receive(invite, sender);
    layer.receive(invite, sender);
    expect(sender.sent).toHaveLength(0);
    core.requests[0]!.transaction.respond(reply(invite, 183));
    layer.receive(invite, sender);
    expect(sender.sent.map((s) => s.message.kind === 'response' && s.message.status)).toEqual([183, 183]);
    expect(core.requests).toHaveLength(1);
  });

  it('retransmits a final non-2xx on Timer G up to T2, and gives up on Timer H', () => {
    const { clock, core, layer, sender } = setup();
    const invite = request('INVITE');
    layer.receive(invite, sender);
    const { transaction } = core.requests[0]!;
    transaction.respond(reply(invite, 486));
    clock.advance(32_000);
    expect(sender.times()).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(transaction.state).toBe('terminated');
    expect(core.timeouts).toEqual([transaction]);
  });

  it('stops on the ACK, absorbs further ACKs in Confirmed, and ends after Timer I (T4)', () => {
    const { clock, core, layer, sender } = setup();
    const invite = request('INVITE');
    layer.receive(invite, sender);
    const { transaction } = core.requests[0]!;
    transaction.respond(reply(invite, 486));
    clock.advance(600);
    const ack = request('ACK', { toTag: 'callee' });
    layer.receive(ack, sender);
    expect(transaction.state).toBe('confirmed');
    layer.receive(ack, sender);
    clock.advance(4_999);
    expect(transaction.state).toBe('confirmed');
    clock.advance(1);
    expect(transaction.state).toBe('terminated');
    expect(sender.times()).toEqual([0, 500]);
    expect(core.acks).toEqual([]);
  });

  it('resends the final on an INVITE retransmission in Completed', () => {
    const { core, layer, sender } = setup();
    const invite = request('INVITE');
    layer.receive(invite, sender);
    core.requests[0]!.transaction.respond(reply(invite, 404));
    layer.receive(invite, sender);
    expect(sender.sent.map((s) => s.message.kind === 'response' && s.message.status)).toEqual([404, 404]);
  });

  it('in Accepted (RFC 6026) absorbs INVITE retransmissions, sends the TU 2xx retransmissions, ends on Timer L', () => {
    const { clock, core, layer, sender } = setup();
    const invite = request('INVITE');
    layer.receive(invite, sender);
    const { transaction } = core.requests[0]!;
    const ok = reply(invite, 200);
    transaction.respond(ok);
    layer.receive(invite, sender);
    transaction.respond(ok);
    expect(sender.sent).toHaveLength(2);
    expect(() => transaction.respond(reply(invite, 500))).toThrowError(/after a 2xx/);
    // The ACK for a 2xx has its own branch and is the dialog's business.
    layer.receive(request('ACK', { branch: 'z9hG4bKack2xx', toTag: 'callee' }), sender);
    expect(core.acks).toHaveLength(1);
    clock.advance(32_000);
    expect(transaction.state).toBe('terminated');
    expect(layer.counts.server).toBe(0);
  });

  it('over TCP: no Timer G, and the ACK ends it at once (Timer I = 0)', () => {
    const { clock, core, layer, sender } = setup(true);
    const invite = request('INVITE');
    layer.receive(invite, sender);
    const { transaction } = core.requests[0]!;
    transaction.respond(reply(invite, 480));
    clock.advance(10_000);
    expect(sender.sent).toHaveLength(1);
    layer.receive(request('ACK', { toTag: 'callee' }), sender);
    expect(transaction.state).toBe('terminated');
  });

  it('refuses a response after the final non-2xx', () => {
    const { core, layer, sender } = setup();
    const invite = request('INVITE');
    layer.receive(invite, sender);
    const { transaction } = core.requests[0]!;
    transaction.respond(reply(invite, 486));
    let error: unknown;
    try {
      transaction.respond(reply(invite, 180));
    } catch (caught) {
      error = caught;
    }
    expect(isSipError(error) && error.code).toBe('SIP_TRANSACTION_STATE');
  });
});

describe('non-INVITE server transaction (§17.2.2)', () => {
  it('drops retransmissions in Trying, resends the provisional in Proceeding and the final in Completed', () => {
    const { core, layer, sender } = setup();
    const options = request('OPTIONS');
    layer.receive(options, sender);
    layer.receive(options, sender);
    expect(sender.sent).toHaveLength(0);
    const { transaction } = core.requests[0]!;
    expect(transaction).toBeInstanceOf(NonInviteServerTransaction);
    transaction.respond(reply(options, 100));
    layer.receive(options, sender);
    transaction.respond(reply(options, 200));
    layer.receive(options, sender);
    expect(sender.sent.map((s) => s.message.kind === 'response' && s.message.status)).toEqual([
      100, 100, 200, 200,
    ]);
    expect(core.requests).toHaveLength(1);
  });

  it('stays Completed for Timer J (64*T1) over UDP; a request after that is new', () => {
    const { clock, core, layer, sender } = setup();
    const options = request('OPTIONS');
    layer.receive(options, sender);
    core.requests[0]!.transaction.respond(reply(options, 200));
    clock.advance(31_999);
    expect(core.requests[0]!.transaction.state).toBe('completed');
    clock.advance(1);
    expect(core.requests[0]!.transaction.state).toBe('terminated');
    layer.receive(options, sender);
    expect(core.requests).toHaveLength(2);
  });

  it('over TCP ends as soon as the final is sent (Timer J = 0)', () => {
    const { core, layer, sender } = setup(true);
    const register = request('REGISTER');
    layer.receive(register, sender);
    core.requests[0]!.transaction.respond(reply(register, 401));
    expect(core.requests[0]!.transaction.state).toBe('terminated');
    expect(() => core.requests[0]!.transaction.respond(reply(register, 200))).toThrowError(/cannot send 200/);
  });

  it('reports a send failure after the transaction ended instead of dropping it', async () => {
    const { core, layer, sender, reported } = setup(true);
    sender.failWith = new Error('EPIPE');
    const bye = request('BYE');
    layer.receive(bye, sender);
    core.requests[0]!.transaction.respond(reply(bye, 200));
    await Promise.resolve();
    expect(reported.some((r) => r.includes('send failed after termination'))).toBe(true);
  });
});

describe('matching (§17.1.3, §17.2.3)', () => {
  it('gives a CANCEL its own transaction and finds the INVITE it cancels (§9.2)', () => {
    const { core, layer, sender } = setup();
    const invite = request('INVITE');
    layer.receive(invite, sender);
    const cancel = createCancel(invite);
    layer.receive(cancel, sender);
    expect(core.requests.map((r) => r.request.method)).toEqual(['INVITE', 'CANCEL']);
    expect(layer.findInvite(cancel)).toBe(core.requests[0]!.transaction);
    expect(layer.findInvite(createCancel(request('INVITE', { branch: 'z9hG4bKother' })))).toBeUndefined();
  });

  it('matches a response by branch and CSeq method, so the 200 to a CANCEL does not end the INVITE', () => {
    const { layer, sender } = setup();
    const inviteUser = new RecordingUser();
    const cancelUser = new RecordingUser();
    const invite = request('INVITE');
    layer.sendRequest(invite, sender, inviteUser);
    const cancel = createCancel(invite);
    layer.sendRequest(cancel, sender, cancelUser);
    layer.receive(reply(cancel, 200), sender);
    layer.receive(reply(invite, 487), sender);
    expect(cancelUser.responses).toEqual([200]);
    expect(inviteUser.responses).toEqual([487]);
  });

  it('tells apart the same branch from two different sent-by values', () => {
    const { core, layer, sender } = setup();
    layer.receive(request('OPTIONS', { via: 'SIP/2.0/UDP a.example.com;branch=z9hG4bKsame' }), sender);
    layer.receive(request('OPTIONS', { via: 'SIP/2.0/UDP b.example.com;branch=z9hG4bKsame' }), sender);
    expect(core.requests).toHaveLength(2);
  });

  it('falls back to RFC 2543 matching without a branch, or with the bare cookie (RFC 4475 badbranch)', () => {
    for (const branch of [null, 'z9hG4bK']) {
      const { core, layer, sender } = setup();
      const invite = request('INVITE', { branch });
      layer.receive(invite, sender);
      layer.receive(invite, sender);
      expect(core.requests).toHaveLength(1);
      const { transaction } = core.requests[0]!;
      expect(transaction).toBeInstanceOf(InviteServerTransaction);
      transaction.respond(reply(invite, 486, 'ours'));
      // An ACK whose To tag is not the one we sent is not for this transaction.
      layer.receive(request('ACK', { branch, toTag: 'someone-else' }), sender);
      expect(transaction.state).toBe('completed');
      expect(core.acks).toHaveLength(1);
      layer.receive(request('ACK', { branch, toTag: 'ours' }), sender);
      expect(transaction.state).toBe('confirmed');
    }
  });

  it('passes a response that matches nothing to the core as a stray', () => {
    const { core, layer, sender } = setup();
    layer.receive(reply(request('INVITE', { branch: 'z9hG4bKnobody' }), 200), sender);
    expect(core.strays).toHaveLength(1);
  });

  it('answers 503 statelessly beyond the server transaction limit', () => {
    const clock = new VirtualClock(0);
    const core = new RecordingCore();
    const layer = new TransactionLayer({ clock, core, report: () => undefined, maxServerTransactions: 1 });
    const sender = new RecordingSender(clock);
    layer.receive(request('OPTIONS', { branch: 'z9hG4bKa' }), sender);
    layer.receive(request('OPTIONS', { branch: 'z9hG4bKb' }), sender);
    expect(core.requests).toHaveLength(1);
    const busy = sender.last();
    expect(busy.kind === 'response' && [busy.status, busy.headers.get('retry-after')]).toEqual([503, '5']);
  });

  it('reports a core that throws, and keeps working', () => {
    const clock = new VirtualClock(0);
    const reported: string[] = [];
    const core = new RecordingCore();
    core.onRequest = () => {
      throw new Error('bug in the core');
    };
    const layer = new TransactionLayer({ clock, core, report: (_e, c) => reported.push(c) });
    const sender = new RecordingSender(clock);
    layer.receive(request('INVITE'), sender);
    clock.advance(200);
    expect(reported).toEqual(['transaction core: onRequest INVITE']);
    expect(sender.sent.map((s) => s.message.kind === 'response' && s.message.status)).toEqual([100]);
  });

  it('refuses to send an ACK or a request without an RFC 3261 branch', () => {
    const { layer, sender } = setup();
    expect(() => layer.sendRequest(request('ACK'), sender, new RecordingUser())).toThrowError(/ACK/);
    expect(() =>
      layer.sendRequest(request('OPTIONS', { branch: null }), sender, new RecordingUser()),
    ).toThrowError(/branch/);
  });

  it('close() ends every transaction and its timers', () => {
    const { clock, layer, sender } = setup();
    layer.sendRequest(request('INVITE'), sender, new RecordingUser());
    layer.receive(request('OPTIONS', { branch: 'z9hG4bKin' }), sender);
    layer.close();
    expect(layer.counts).toEqual({ server: 0, client: 0 });
    clock.advance(100_000);
    expect(sender.times()).toEqual([0]);
    expect(clock.nextDue()).toBeUndefined();
  });
});
