import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../core/index';
import {
  AckWait,
  createResponse,
  Dialog,
  dialogIdOfRequest,
  dialogIdOfResponse,
  dialogKey,
  formatUri,
  getCSeq,
  getFrom,
  getTo,
  newBranch,
  parseMessage,
  parseNameAddr,
  parseVia,
  type SipRequest,
  type SipResponse,
} from './index';

function invite(recordRoute: string[] = []): SipRequest {
  const text =
    'INVITE sip:8888@teller.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKinv1\r\n' +
    'Max-Forwards: 69\r\n' +
    recordRoute.map((rr) => `Record-Route: ${rr}\r\n`).join('') +
    'From: "Zhang Wei" <sip:13800000001@pstn.example>;tag=caller1\r\nTo: <sip:8888@teller.example>\r\n' +
    'Call-ID: dlg-1@192.0.2.10\r\nCSeq: 314 INVITE\r\nContact: <sip:caller@192.0.2.10:5062>\r\nContent-Length: 0\r\n\r\n';
  const message = parseMessage(text);
  if (message.kind !== 'request') throw new Error('fixture');
  return message;
}

function answer(
  request: SipRequest,
  status: number,
  contact: string,
  recordRoute: string[] = [],
): SipResponse {
  const response = createResponse(request, status, { toTag: 'teller9', headers: [['Contact', contact]] });
  response.headers.delete('record-route');
  for (const rr of recordRoute) response.headers.append('Record-Route', rr);
  return response;
}

/** A request from the caller within the dialog (To tag ours, From tag theirs). */
function inDialog(method: string, seq: number, contact?: string): SipRequest {
  const text =
    `${method} sip:8888@198.51.100.5 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5062;branch=${newBranch()}\r\n` +
    'From: <sip:13800000001@pstn.example>;tag=caller1\r\nTo: <sip:8888@teller.example>;tag=teller9\r\n' +
    `Call-ID: dlg-1@192.0.2.10\r\nCSeq: ${seq} ${method}\r\n${contact ? `Contact: ${contact}\r\n` : ''}Content-Length: 0\r\n\r\n`;
  return parseMessage(text) as SipRequest;
}

const via = () => parseVia(`SIP/2.0/UDP 198.51.100.5:5060;branch=${newBranch()}`);

describe('dialog as UAS (§12.1.1)', () => {
  it('takes id, route set, remote target and remote CSeq from the INVITE', () => {
    const request = invite(['<sip:p1.example;lr>', '<sip:p2.example;lr>']);
    const dialog = Dialog.asUas(request, answer(request, 200, '<sip:8888@198.51.100.5>'));
    expect(dialog.state).toBe('confirmed');
    expect(dialog.id).toEqual({ callId: 'dlg-1@192.0.2.10', localTag: 'teller9', remoteTag: 'caller1' });
    expect(dialog.routeSet.map((r) => formatUri(r.uri))).toEqual(['sip:p1.example;lr', 'sip:p2.example;lr']);
    expect(formatUri(dialog.remoteTarget)).toBe('sip:caller@192.0.2.10:5062');
    expect(dialog.remoteSeq).toBe(314);
    expect(dialog.localSeq).toBeUndefined();
    expect(dialogKey(dialogIdOfRequest(inDialog('BYE', 315))!)).toBe(dialog.key);
  });

  it('builds a BYE per §12.2.1.1 with loose routing', () => {
    const request = invite(['<sip:p1.example;lr>', '<sip:p2.example;lr>']);
    const dialog = Dialog.asUas(request, answer(request, 200, '<sip:8888@198.51.100.5>'));
    const bye = dialog.createRequest('BYE', { via: via(), headers: [['Reason', 'Q.850;cause=16']] });
    expect(formatUri(bye.uri)).toBe('sip:caller@192.0.2.10:5062');
    expect(bye.headers.getAll('route')).toEqual(['<sip:p1.example;lr>', '<sip:p2.example;lr>']);
    expect(getFrom(bye).params.get('tag')).toBe('teller9');
    expect(getTo(bye)).toMatchObject({ displayName: 'Zhang Wei', params: new Map([['tag', 'caller1']]) });
    const first = getCSeq(bye);
    expect(first.method).toBe('BYE');
    expect(getCSeq(dialog.createRequest('INFO', { via: via() })).seq).toBe(first.seq + 1);
    expect(bye.headers.get('reason')).toBe('Q.850;cause=16');
  });

  it('routes strictly through an RFC 2543 proxy (no ;lr)', () => {
    const request = invite(['<sip:strict.example;maddr=10.0.0.1;transport=udp>', '<sip:p2.example;lr>']);
    const dialog = Dialog.asUas(request, answer(request, 200, '<sip:8888@198.51.100.5>'));
    const bye = dialog.createRequest('BYE', { via: via() });
    expect(formatUri(bye.uri)).toBe('sip:strict.example');
    expect(bye.headers.getAll('route')).toEqual(['<sip:p2.example;lr>', '<sip:caller@192.0.2.10:5062>']);
  });

  it('checks in-dialog requests: out-of-order CSeq is 500, a re-INVITE moves the target, BYE ends it', () => {
    const request = invite();
    const dialog = Dialog.asUas(request, answer(request, 200, '<sip:8888@198.51.100.5>'));
    expect(dialog.receiveRequest(inDialog('INFO', 313))).toEqual({
      ok: false,
      status: 500,
      reason: 'Out of order',
    });
    expect(dialog.receiveRequest(inDialog('INVITE', 315, '<sip:caller@203.0.113.9:5070>'))).toEqual({
      ok: true,
    });
    expect(formatUri(dialog.remoteTarget)).toBe('sip:caller@203.0.113.9:5070');
    expect(dialog.receiveRequest(inDialog('ACK', 315))).toEqual({ ok: true });
    expect(dialog.receiveRequest(inDialog('BYE', 316))).toEqual({ ok: true });
    expect(dialog.state).toBe('terminated');
    expect(dialog.receiveRequest(inDialog('BYE', 317))).toMatchObject({ ok: false, status: 481 });
    expect(() => dialog.createRequest('BYE', { via: via() })).toThrowError(/ended/);
  });
});

describe('dialog as UAC (§12.1.2)', () => {
  it('is early on a tagged 1xx, confirmed on the 2xx, with the route set reversed', () => {
    const request = invite();
    const ringing = answer(request, 180, '<sip:8888@198.51.100.5>', [
      '<sip:p2.example;lr>',
      '<sip:p1.example;lr>',
    ]);
    const dialog = Dialog.asUac(request, ringing);
    expect(dialog.state).toBe('early');
    expect(dialog.id).toEqual({ callId: 'dlg-1@192.0.2.10', localTag: 'caller1', remoteTag: 'teller9' });
    expect(dialog.key).toBe(dialogKey(dialogIdOfResponse(ringing)!));
    expect(dialog.routeSet.map((r) => formatUri(r.uri))).toEqual(['sip:p1.example;lr', 'sip:p2.example;lr']);
    expect(dialog.localSeq).toBe(314);
    dialog.receiveResponse(answer(request, 200, '<sip:8888@198.51.100.7>'), 'INVITE');
    expect(dialog.state).toBe('confirmed');
    expect(formatUri(dialog.remoteTarget)).toBe('sip:8888@198.51.100.7');
  });

  it('acknowledges the 2xx with the INVITE CSeq number and method ACK (§13.2.2.4)', () => {
    const request = invite();
    const dialog = Dialog.asUac(request, answer(request, 200, '<sip:8888@198.51.100.5>'));
    const ack = dialog.createAck(314, { via: via() });
    expect(ack.method).toBe('ACK');
    expect(getCSeq(ack)).toEqual({ seq: 314, method: 'ACK' });
    expect(formatUri(ack.uri)).toBe('sip:8888@198.51.100.5');
    expect(
      getCSeq(
        dialog.createRequest('BYE', { via: via(), contact: parseNameAddr('<sip:caller@192.0.2.10:5062>') }),
      ).seq,
    ).toBe(315);
  });

  it('ends an early dialog on a failure of the INVITE, a confirmed one on 481', () => {
    const request = invite();
    const early = Dialog.asUac(request, answer(request, 183, '<sip:8888@198.51.100.5>'));
    early.receiveResponse(answer(request, 486, '<sip:8888@198.51.100.5>'), 'INVITE');
    expect(early.state).toBe('terminated');
    const confirmed = Dialog.asUac(request, answer(request, 200, '<sip:8888@198.51.100.5>'));
    confirmed.receiveResponse(answer(request, 491, '<sip:8888@198.51.100.5>'), 'INVITE');
    expect(confirmed.state).toBe('confirmed');
    confirmed.receiveResponse(answer(request, 481, '<sip:8888@198.51.100.5>'), 'BYE');
    expect(confirmed.state).toBe('terminated');
  });

  it('refuses a transition it does not have, naming both states', () => {
    const request = invite();
    const dialog = Dialog.asUac(request, answer(request, 200, '<sip:8888@198.51.100.5>'));
    expect(() => dialog.transition('early')).toThrowError(/no transition from confirmed to early/);
    expect(() => dialog.createRequest('ACK', { via: via() })).toThrowError(/createAck/);
  });

  it('needs a Contact to know where to send', () => {
    const request = invite();
    const response = answer(request, 200, '<sip:x@y>');
    response.headers.delete('contact');
    expect(() => Dialog.asUac(request, response)).toThrowError(/Missing Contact/);
  });
});

describe('AckWait (§13.3.1.4)', () => {
  it('retransmits the 2xx from T1 doubling to T2 until the ACK', () => {
    const clock = new VirtualClock(0);
    const sent: number[] = [];
    const wait = new AckWait({
      clock,
      reliable: false,
      resend: () => sent.push(clock.now()),
      onTimeout: () => sent.push(-1),
    });
    wait.start();
    clock.advance(12_000);
    expect(sent).toEqual([500, 1500, 3500, 7500, 11500]);
    wait.acknowledged();
    clock.advance(60_000);
    expect(sent).toHaveLength(5);
    expect(wait.finished).toBe(true);
  });

  it('gives up after 64*T1 without an ACK, once; over TCP it only waits', () => {
    const clock = new VirtualClock(0);
    let timeouts = 0;
    let resent = 0;
    const wait = new AckWait({ clock, reliable: true, resend: () => resent++, onTimeout: () => timeouts++ });
    wait.start();
    clock.advance(31_999);
    expect(timeouts).toBe(0);
    clock.advance(100_000);
    expect({ timeouts, resent }).toEqual({ timeouts: 1, resent: 0 });
  });
});
