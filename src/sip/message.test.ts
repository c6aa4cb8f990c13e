import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createRequest,
  createResponse,
  createTrying,
  type Frame,
  formatNameAddr,
  formatUri,
  formatVia,
  getCallId,
  getContacts,
  getCSeq,
  getFrom,
  getRoutes,
  getTo,
  getTopVia,
  getVias,
  isSipError,
  newBranch,
  parseMessage,
  parseNameAddr,
  parseUri,
  parseVia,
  responseDestination,
  type SipError,
  type SipMessage,
  type SipRequest,
  StreamFramer,
  serializeMessage,
  sipUri,
  uriEquals,
} from './index';

const fixtures = path.resolve(import.meta.dirname, '../../test/fixtures/sip');
const fixture = (name: string) => readFileSync(path.join(fixtures, name));
const fixtureNames = [
  'invite.sip',
  'register.sip',
  'ok-invite.sip',
  'challenge.sip',
  'bye.sip',
  'notify.sip',
  'options-tel.sip',
];

function sipErrorOf(fn: () => unknown): SipError {
  try {
    fn();
  } catch (error) {
    if (isSipError(error)) return error;
    throw error;
  }
  throw new Error('expected a SipError');
}

/** Everything a reader can observe of a message, for round-trip comparison. */
function observe(message: SipMessage) {
  return {
    start:
      message.kind === 'request'
        ? `${message.method} ${formatUri(message.uri)}`
        : `${message.status} ${message.reason}`,
    headers: message.headers.entries().map((f) => [f.name, f.value]),
    body: message.body.toString('latin1'),
  };
}

describe('parser and serializer', () => {
  it.each(fixtureNames)('%s survives serialize(parse(x)) unchanged in meaning', (name) => {
    const first = parseMessage(fixture(name));
    const again = parseMessage(serializeMessage(first));
    expect(observe(again)).toEqual(observe(first));
  });

  it('expands compact header names and writes them in full', () => {
    const notify = parseMessage(fixture('notify.sip'));
    expect(getCallId(notify)).toBe('8c1f0e2a-4b7d-4c1e-9a55-2f0b6c7d8e9f');
    expect(notify.headers.get('Event')).toBe('refer;id=2');
    expect(notify.headers.get('content-type')).toBe('message/sipfrag;version=2.0');
    expect(notify.body.toString()).toBe('SIP/2.0 200 OK\r\n');
    const wire = serializeMessage(notify).toString();
    expect(wire).toContain('\r\nVia: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKnotify42\r\n');
    expect(wire).toContain('\r\nEvent: refer;id=2\r\n');
    expect(wire).toContain('\r\nContent-Length: 16\r\n');
  });

  it('reads comma-joined and repeated list headers as one list, in order', () => {
    const text =
      'OPTIONS sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h1;branch=z9hG4bK1, SIP/2.0/TCP h2:5070;branch=z9hG4bK2\r\n' +
      'Via: SIP/2.0/UDP h3;branch=z9hG4bK3\r\nRoute: <sip:r1;lr>,<sip:r2;lr>\r\nRoute: "Edge, West" <sip:r3;lr>\r\n' +
      'From: <sip:b@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n';
    const message = parseMessage(text);
    expect(getVias(message).map((v) => `${v.host}:${v.port ?? ''}`)).toEqual(['h1:', 'h2:5070', 'h3:']);
    expect(getRoutes(message).map((r) => formatUri(r.uri))).toEqual(['sip:r1;lr', 'sip:r2;lr', 'sip:r3;lr']);
    expect(getRoutes(message)[2]!.displayName).toBe('Edge, West');
  });

  it('keeps unknown headers verbatim, name spelling and value', () => {
    const text =
      'OPTIONS sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:b@x>;tag=1\r\nTo: <sip:a@x>\r\n' +
      'Call-ID: y\r\nCSeq: 2 OPTIONS\r\nX-Bank-Trace:   a ,, ; weird "value\r\nx-BANK-trace: second\r\nContent-Length: 0\r\n\r\n';
    const message = parseMessage(text);
    expect(message.headers.getAll('x-bank-trace')).toEqual(['a ,, ; weird "value', 'second']);
    const wire = serializeMessage(message).toString();
    expect(wire).toContain('\r\nX-Bank-Trace: a ,, ; weird "value\r\nx-BANK-trace: second\r\n');
  });

  it('tolerates leading CRLFs and bare LF line ends', () => {
    const message = parseMessage(
      '\r\n\r\nOPTIONS sip:a@x SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK9\nFrom: <sip:b@x>;tag=1\nTo: <sip:a@x>\nCall-ID: z\nCSeq: 3 OPTIONS\n\n',
    );
    expect(getCSeq(message)).toEqual({ seq: 3, method: 'OPTIONS' });
  });

  it('frames a datagram body by Content-Length, or by the datagram without one', () => {
    const head =
      'MESSAGE sip:a@x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK9\r\nFrom: <sip:b@x>;tag=1\r\nTo: <sip:a@x>\r\nCall-ID: z\r\nCSeq: 3 MESSAGE\r\nContent-Type: text/plain\r\n';
    expect(
      parseMessage(`${head}Content-Length: 5\r\n\r\nhello, and the rest is dropped`).body.toString(),
    ).toBe('hello');
    expect(parseMessage(`${head}\r\nall of it`).body.toString()).toBe('all of it');
    expect(sipErrorOf(() => parseMessage(`${head}Content-Length: 50\r\n\r\nshort`)).status).toBe(400);
    expect(sipErrorOf(() => parseMessage(`${head}\r\nbody`, { stream: true })).reason).toBe(
      'Missing Content-Length',
    );
  });

  it('counts Content-Length in octets, not characters', () => {
    const body = 'Grüße, 张伟';
    const request = createRequest({
      method: 'MESSAGE',
      uri: sipUri({ user: 'a', host: 'x' }),
      from: { uri: sipUri({ user: 'b', host: 'x' }), params: new Map([['tag', '1']]) },
      to: { uri: sipUri({ user: 'a', host: 'x' }), params: new Map() },
      callId: 'c1',
      cseq: 1,
      via: parseVia(`SIP/2.0/UDP h;branch=${newBranch()}`),
      body,
      contentType: 'text/plain;charset=utf-8',
    });
    const wire = serializeMessage(request);
    expect(wire.toString()).toContain(`Content-Length: ${Buffer.byteLength(body)}\r\n`);
    expect(parseMessage(wire).body.toString()).toBe(body);
  });

  it('answers an over-size message with 513 and keeps what it needs to answer', () => {
    const big = `${fixture('register.sip').toString().replace('Content-Length: 0', `Content-Length: 70000`)}${'x'.repeat(70000)}`;
    const error = sipErrorOf(() => parseMessage(big));
    expect(error.status).toBe(513);
    expect(error.salvage?.headers.get('call-id')).toBe('6d2b1e1c9a@192.0.2.11');
    expect(sipErrorOf(() => parseMessage(fixture('invite.sip'), { maxMessageBytes: 500 })).status).toBe(513);
  });

  it('refuses a CSeq beyond 32 bits and a Max-Forwards beyond 255, not a long Expires', () => {
    const base = fixture('register.sip').toString();
    expect(sipErrorOf(() => parseMessage(base.replace('CSeq: 4711', 'CSeq: 4294967296'))).reason).toMatch(
      /CSeq/,
    );
    expect(getCSeq(parseMessage(base.replace('CSeq: 4711', 'CSeq: 4294967295'))).seq).toBe(4294967295);
    expect(
      sipErrorOf(() => parseMessage(base.replace('Max-Forwards: 70', 'Max-Forwards: 256'))).reason,
    ).toMatch(/Max-Forwards/);
    expect(() => parseMessage(base.replace('Expires: 3600', 'Expires: 99999999999999999999'))).not.toThrow();
  });

  it('builds a response per §8.2.6.2: Vias, From, Call-ID, CSeq copied, To tagged, Record-Route for dialogs', () => {
    const invite = parseMessage(fixture('invite.sip'));
    if (invite.kind !== 'request') throw new Error('fixture');
    invite.headers.append('Record-Route', '<sip:proxy.example.com;lr>');
    const ringing = createResponse(invite, 180, { toTag: 'srv1' });
    expect(ringing.reason).toBe('Ringing');
    expect(getTo(ringing).params.get('tag')).toBe('srv1');
    expect(getFrom(ringing)).toEqual(getFrom(invite));
    expect(ringing.headers.getAll('via')).toEqual(invite.headers.getAll('via'));
    expect(ringing.headers.get('record-route')).toBe('<sip:proxy.example.com;lr>');
    const trying = createResponse(invite, 100);
    expect(getTo(trying).params.has('tag')).toBe(false);
    expect(createResponse(invite, 486).headers.has('record-route')).toBe(false);
  });

  it('pairs every status with its reason: a standard phrase of another status gives way to the right one', () => {
    const invite = parseMessage(fixture('invite.sip')) as SipRequest;
    // A callee's 408 passed on as 480 with the callee's reason.
    expect(createResponse(invite, 480, { reason: 'Request Timeout' }).reason).toBe('Temporarily Unavailable');
    expect(createResponse(invite, 480, { reason: 'request timeout' }).reason).toBe('Temporarily Unavailable');
    // Its own phrase, a shared one (406 and 606 are both "Not Acceptable") and phrases of our own stay.
    expect(createResponse(invite, 408, { reason: 'Request Timeout' }).reason).toBe('Request Timeout');
    expect(createResponse(invite, 606, { reason: 'Not Acceptable' }).reason).toBe('Not Acceptable');
    expect(createResponse(invite, 404, { reason: 'No Such Number' }).reason).toBe('No Such Number');
    expect(createResponse(invite, 480).reason).toBe('Temporarily Unavailable');
    expect(createResponse(invite, 499, { reason: 'Busy Here' }).reason).toBe('Unknown');
  });

  it('builds a 100 Trying that echoes the Timestamp, with the delay when there was one (§8.2.6.1, §20.38)', () => {
    const stamped = (value: string) => {
      const message = parseMessage(
        fixture('invite.sip').toString().replace('\r\nCall-ID:', `\r\nTimestamp: ${value}\r\nCall-ID:`),
      );
      if (message.kind !== 'request') throw new Error('not a request');
      return message;
    };
    expect(createTrying(stamped('54'), 0.25).headers.get('timestamp')).toBe('54 0.250');
    expect(createTrying(stamped('54.5'), 0).headers.get('timestamp')).toBe('54.5');
    // A value that is not a timestamp is still copied (MUST), but gets no delay added.
    expect(createTrying(stamped('soon'), 1).headers.get('timestamp')).toBe('soon');
    expect(createTrying(stamped('54'), 1).status).toBe(100);
    expect(createTrying(parseMessage(fixture('invite.sip')) as SipRequest).headers.has('timestamp')).toBe(
      false,
    );
  });
});

describe('URIs', () => {
  it('parses SIP URIs with password, port, parameters and headers', () => {
    const uri = parseUri(
      'sips:alice:secret@Atlanta.example.com:5061;transport=TCP;lr;maddr=239.255.255.1?subject=project%20x&priority=urgent',
    );
    expect(uri).toMatchObject({
      type: 'sip',
      scheme: 'sips',
      user: 'alice',
      password: 'secret',
      host: 'Atlanta.example.com',
      port: 5061,
    });
    expect(uri.type === 'sip' && [...uri.params]).toEqual([
      ['transport', 'TCP'],
      ['lr', null],
      ['maddr', '239.255.255.1'],
    ]);
    expect(uri.type === 'sip' && uri.headers).toEqual([
      ['subject', 'project x'],
      ['priority', 'urgent'],
    ]);
    expect(formatUri(uri)).toBe(
      'sips:alice:secret@Atlanta.example.com:5061;transport=TCP;lr;maddr=239.255.255.1?subject=project%20x&priority=urgent',
    );
  });

  it('parses IPv6 references and tel URIs', () => {
    expect(parseUri('sip:[2001:db8::10]:5070')).toMatchObject({ host: '[2001:db8::10]', port: 5070 });
    expect(parseUri('tel:+86-10-1380-000-0001;phone-context=+86')).toMatchObject({
      type: 'tel',
      number: '+86-10-1380-000-0001',
    });
  });

  it.each([
    'sip:',
    'sip:user@',
    'sip:host:99999',
    'sip:a b@host',
    'sip:host;;lr',
    'sip:host?noequals',
    'sip:us%zzer@host',
    'tel:',
    'not a uri',
    ':opaque',
    'http:with space',
  ])('refuses %j', (text) => {
    expect(sipErrorOf(() => parseUri(text)).code).toBe('SIP_PARSE_URI');
  });

  it('compares URIs as §19.1.4 says', () => {
    const eq = (a: string, b: string) => uriEquals(parseUri(a), parseUri(b));
    // The equal pairs of §19.1.4.
    expect(eq('sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp')).toBe(true);
    expect(eq('sip:carol@chicago.com', 'sip:carol@chicago.com;newparam=5')).toBe(true);
    expect(eq('sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;newparam=5')).toBe(true);
    expect(
      eq(
        'sip:alice@atlanta.com?subject=project%20x&priority=urgent',
        'sip:alice@atlanta.com?priority=urgent&subject=project%20x',
      ),
    ).toBe(true);
    // The unequal pairs of §19.1.4.
    expect(eq('SIP:ALICE@AtLanTa.CoM;Transport=udp', 'sip:alice@AtLanTa.CoM;Transport=UDP')).toBe(false);
    expect(eq('sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060')).toBe(false);
    expect(eq('sip:bob@biloxi.com', 'sip:bob@biloxi.com;transport=udp')).toBe(false);
    expect(eq('sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;security=off')).toBe(false);
    expect(eq('sip:carol@chicago.com', 'sip:carol@chicago.com?Subject=next%20meeting')).toBe(false);
  });
});

describe('name-addr and Via', () => {
  it('reads display names quoted and bare, and header parameters', () => {
    const quoted = parseNameAddr('"Zhang \\"Wei\\"" <sip:13800000001@bank.example>;tag=a1;expires=60');
    expect(quoted.displayName).toBe('Zhang "Wei"');
    expect([...quoted.params]).toEqual([
      ['tag', 'a1'],
      ['expires', '60'],
    ]);
    expect(formatNameAddr(quoted)).toBe('"Zhang \\"Wei\\"" <sip:13800000001@bank.example>;tag=a1;expires=60');
    expect(parseNameAddr('Li Na <sip:li@bank.example>').displayName).toBe('Li Na');
    expect(parseNameAddr('sip:li@bank.example;tag=9').params.get('tag')).toBe('9');
    expect(parseNameAddr('<sip:a@b>;+sip.instance="<urn:uuid:1>"').params.get('+sip.instance')).toBe(
      '"<urn:uuid:1>"',
    );
  });

  it('reads Contact * apart from addresses', () => {
    const message = parseMessage(
      fixture('register.sip')
        .toString()
        .replace(/Contact: .*\r\n/, 'Contact: *\r\n'),
    );
    expect(getContacts(message)).toEqual({ star: true });
    const mixed = fixture('register.sip')
      .toString()
      .replace(/Contact: (.*)\r\n/, 'Contact: *, $1\r\n');
    expect(sipErrorOf(() => parseMessage(mixed)).reason).toMatch(/Contact/);
  });

  it('reads sent-by, rport and received; formats back', () => {
    const via = parseVia('SIP/2.0/UDP [2001:db8::9]:5060;branch=z9hG4bKx;rport=5061;received=2001:db8::10');
    expect(via).toMatchObject({ transport: 'UDP', host: '[2001:db8::9]', port: 5060 });
    expect(via.params.get('rport')).toBe('5061');
    expect(formatVia(via)).toBe(
      'SIP/2.0/UDP [2001:db8::9]:5060;branch=z9hG4bKx;rport=5061;received=2001:db8::10',
    );
    expect(sipErrorOf(() => parseVia('SIP/2.0/UDP h;received=not-an-ip')).reason).toMatch(/received/);
    expect(sipErrorOf(() => parseVia('SIP/2.0/UDP h;rport=70000')).reason).toMatch(/rport/);
  });

  it('sends responses where §18.2.2 and RFC 3581 say', () => {
    const source = { address: '203.0.113.7', port: 40123 };
    expect(responseDestination(parseVia('SIP/2.0/UDP 10.0.0.2:5062;rport;branch=z9hG4bK1'), source)).toEqual(
      source,
    );
    expect(responseDestination(parseVia('SIP/2.0/UDP 10.0.0.2:5062;branch=z9hG4bK1'), source)).toEqual({
      address: '203.0.113.7',
      port: 5062,
    });
    expect(
      responseDestination(parseVia('SIP/2.0/UDP 10.0.0.2;maddr=239.1.1.1;branch=z9hG4bK1'), source),
    ).toEqual({
      address: '239.1.1.1',
      port: 5060,
    });
    expect(getTopVia(parseMessage(fixture('invite.sip'))).params.has('rport')).toBe(true);
  });
});

/** The framing error a push ended with (the last frame); fails the test when there is none. */
function errorOf(frames: Frame[]): SipError {
  const last = frames.at(-1);
  if (last?.kind !== 'error')
    throw new Error(`expected a framing error, got ${JSON.stringify(frames.map((f) => f.kind))}`);
  return last.error;
}

describe('StreamFramer', () => {
  const invite = fixture('invite.sip');
  const register = fixture('register.sip');

  it('cuts concatenated messages and waits for partial ones', () => {
    const framer = new StreamFramer();
    const stream = Buffer.concat([invite, register, invite]);
    const cut = stream.length - 40;
    const first = framer.push(stream.subarray(0, cut));
    expect(first.map((f) => f.kind === 'message' && f.data.length)).toEqual([invite.length, register.length]);
    expect(framer.buffered).toBe(invite.length - 40);
    const rest = framer.push(stream.subarray(cut));
    expect(rest).toHaveLength(1);
    expect(rest[0]!.kind === 'message' && rest[0]!.data.equals(invite)).toBe(true);
    expect(framer.buffered).toBe(0);
  });

  it('reassembles a message fed one byte at a time', () => {
    const framer = new StreamFramer();
    const frames = [...invite].flatMap((byte) => framer.push(Uint8Array.of(byte)));
    expect(frames).toHaveLength(1);
    expect(frames[0]!.kind === 'message' && frames[0]!.data.equals(invite)).toBe(true);
  });

  it('reports a double-CRLF keep-alive and skips stray CRLFs', () => {
    const framer = new StreamFramer();
    expect(framer.push(Buffer.from('\r\n\r'))).toEqual([]);
    expect(framer.push(Buffer.from('\n'))).toEqual([{ kind: 'keepalive' }]);
    const frames = framer.push(Buffer.concat([Buffer.from('\r\n'), register]));
    expect(frames.map((f) => f.kind)).toEqual(['message']);
  });

  it('fails the connection on a missing Content-Length, with a salvage to answer', () => {
    const framer = new StreamFramer();
    const bad = register.toString().replace('Content-Length: 0\r\n', '');
    const error = errorOf(framer.push(Buffer.from(bad)));
    expect(error.reason).toBe('Missing Content-Length');
    expect(error.salvage?.method).toBe('REGISTER');
    expect(errorOf(framer.push(register)).reason).toBe('Missing Content-Length');
  });

  it('hands over the complete messages that precede a framing error in the same chunk, then the error', () => {
    const framer = new StreamFramer();
    const bad = register.toString().replace('Content-Length: 0\r\n', '');
    const frames = framer.push(Buffer.concat([invite, register, Buffer.from(bad)]));
    expect(frames.map((f) => f.kind)).toEqual(['message', 'message', 'error']);
    expect(frames[0]!.kind === 'message' && frames[0]!.data.equals(invite)).toBe(true);
    expect(frames[1]!.kind === 'message' && frames[1]!.data.equals(register)).toBe(true);
    expect(errorOf(frames).reason).toBe('Missing Content-Length');
    // Nothing after the error is framed, however good.
    expect(framer.push(register).map((f) => f.kind)).toEqual(['error']);
  });

  it('fails on a message larger than the limit, before it has all arrived', () => {
    const framer = new StreamFramer({ maxMessageBytes: 1000 });
    const head = register.toString().replace('Content-Length: 0', 'Content-Length: 5000');
    expect(errorOf(framer.push(Buffer.from(head))).status).toBe(513);
    const endless = new StreamFramer({ maxMessageBytes: 1000 });
    expect(
      errorOf(endless.push(Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\nX: ${'y'.repeat(2000)}`))).status,
    ).toBe(513);
  });
});
