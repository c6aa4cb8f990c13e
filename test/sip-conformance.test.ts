/**
 * RFC 4475 at the parser and validator: every torture message is screened as the UDP transport
 * screens a datagram, and the decision is checked against what the RFC section asks of a UAS or
 * registrar. Messages that pass are then read the way the RFC says they must be understood.
 * (The over-UDP half, against the running server, lives with the server.)
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  defaultRequestPolicy,
  getContacts,
  getCSeq,
  getFrom,
  getMaxForwards,
  getTo,
  getTopVia,
  getVias,
  isRfc3261Branch,
  paramText,
  parseMessage,
  parseNameAddr,
  type Screened,
  type SipRequest,
  type SipResponse,
  StreamFramer,
  screenMessage,
  serializeMessage,
} from '../src/sip/index';
import { rfc4475Cases, rfc4475Dir, rfc4475Message } from './fixtures/sip/rfc4475';

function readable(address: string): boolean {
  try {
    parseNameAddr(address);
    return true;
  } catch {
    return false;
  }
}

function screen(tag: string): Screened {
  return screenMessage(rfc4475Message(tag));
}

function request(tag: string): SipRequest {
  const result = screen(tag);
  if (result.action !== 'request') throw new Error(`${tag}: expected a request, got ${result.action}`);
  return result.request;
}

function response(tag: string): SipResponse {
  const message = parseMessage(rfc4475Message(tag));
  if (message.kind !== 'response') throw new Error(`${tag}: expected a response`);
  return message;
}

describe('RFC 4475 torture messages', () => {
  it('covers all 49 messages, each once', () => {
    const files = readdirSync(rfc4475Dir)
      .filter((f) => f.endsWith('.dat'))
      .map((f) => f.replace(/\.dat$/, ''))
      .sort();
    expect(files).toHaveLength(49);
    expect(rfc4475Cases.map((c) => c.tag).sort()).toEqual(files);
  });

  describe.each(rfc4475Cases)('$section $tag ($title)', (testCase) => {
    it(`${testCase.expect.outcome}${'status' in testCase.expect ? ` ${testCase.expect.status}` : ''}: ${testCase.why}`, () => {
      const result =
        testCase.tag === 'mpart01'
          ? screenMessage(rfc4475Message(testCase.tag), {
              policy: {
                ...defaultRequestPolicy,
                allowedMethods: [...defaultRequestPolicy.allowedMethods, 'MESSAGE'],
              },
            })
          : screen(testCase.tag);
      switch (testCase.expect.outcome) {
        case 'accept':
          expect(['request', 'response']).toContain(result.action);
          break;
        case 'drop':
          expect(result.action).toBe('drop');
          break;
        case 'reject': {
          expect(result.action).toBe('reject');
          if (result.action !== 'reject') return;
          expect(result.status).toBe(testCase.expect.status);
          // The answer carries the headers §8.2.6.2 copies (verbatim, so a malformed Via comes
          // back as it was sent) and a To tag, unless the To itself could not be read.
          const wire = serializeMessage(result.response).toString('utf8');
          expect(wire.startsWith(`SIP/2.0 ${testCase.expect.status} `)).toBe(true);
          expect(result.response.headers.getAll('via').length).toBeGreaterThan(0);
          expect(result.response.headers.get('cseq')).toBeDefined();
          const to = result.response.headers.get('to');
          if (to !== undefined && readable(to)) expect(parseNameAddr(to).params.get('tag')).toBeTruthy();
          break;
        }
      }
    });
  });
});

describe('RFC 4475 valid messages are understood as the RFC reads them', () => {
  it('wsinv: folded and spaced headers unfold to their values', () => {
    const invite = request('wsinv');
    expect(invite.method).toBe('INVITE');
    expect(getTo(invite).params.get('tag')).toBe('1918181833n');
    const from = getFrom(invite);
    expect(from.displayName).toBe('J Rosenberg \\"');
    expect(from.params.get('tag')).toBe('98asjd8');
    expect(getMaxForwards(invite)).toBe(68);
    expect(getCSeq(invite)).toEqual({ seq: 9, method: 'INVITE' });
    const vias = getVias(invite);
    expect(vias.map((v) => `${v.transport} ${v.host}`)).toEqual([
      'UDP 192.0.2.2',
      'TCP spindle.example.com',
      'UDP 192.168.255.111',
    ]);
    expect(vias[2]!.params.get('branch')).toBe('z9hG4bK30239');
    expect(invite.headers.get('NewFangledHeader')).toBe('newfangled value continued newfangled value');
    expect(invite.headers.get('UnknownHeaderWithUnusualValue')).toBe(';;,,;;,;');
    expect(invite.headers.get('subject')).toBe('');
    const contacts = getContacts(invite);
    expect(contacts.star).toBe(false);
    if (contacts.star) return;
    expect(contacts.list[0]!.displayName).toBe('Quoted string ""');
    expect(contacts.list[0]!.params.get('newparam')).toBe('newvalue');
    expect(contacts.list[0]!.params.get('q')).toBe('0.33');
    expect(invite.body.length).toBe(150);
  });

  it('intmeth: the odd method, user and password survive parsing', () => {
    const message = parseMessage(rfc4475Message('intmeth'));
    expect(message.kind).toBe('request');
    if (message.kind !== 'request' || message.uri.type !== 'sip') return;
    expect(message.method).toBe("!interesting-Method0123456789_*+`.%indeed'~");
    expect(message.uri.user).toBe("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    expect(message.uri.password).toBe("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    expect(getTo(message).displayName).toBe('BEL:\x07 NUL:\x00 DEL:\x7f');
    expect(paramText(getFrom(message).params.get("fromparam''~+*_!.-%"))).toBe('работающий');
    expect(message.headers.get("extensionHeader-!.%*+_`'~")).toBe('\ufeff大停電');
  });

  it('esc01: escaped characters equal their plain forms', () => {
    const invite = request('esc01');
    expect(invite.uri.type === 'sip' && invite.uri.user).toBe('sips:user@example.com');
    const to = getTo(invite).uri;
    expect(to.type === 'sip' && to.user).toBe('user');
    const from = getFrom(invite).uri;
    expect(from.type === 'sip' && from.user).toBe('I have spaces');
    const contacts = getContacts(invite);
    const uri = !contacts.star ? contacts.list[0]!.uri : undefined;
    expect(uri?.type === 'sip' && uri.user).toBe('caller');
    expect(uri?.type === 'sip' && [...uri.params]).toEqual([
      ['lr', null],
      ['name', 'value%41'],
    ]);
  });

  it('escnull: an escaped NUL is a character of the user part', () => {
    const register = request('escnull');
    const to = getTo(register).uri;
    expect(to.type === 'sip' && to.user).toBe('null-\x00-null');
    const contacts = getContacts(register);
    expect(!contacts.star && contacts.list.map((c) => (c.uri.type === 'sip' ? c.uri.user : ''))).toEqual([
      '\x00',
      '\x00\x00',
    ]);
  });

  it('esc02: RE%47IST%45R is its own method and C%6Fntact is not Contact', () => {
    const message = parseMessage(rfc4475Message('esc02'));
    expect(message.kind === 'request' && message.method).toBe('RE%47IST%45R');
    const contacts = getContacts(message);
    expect(!contacts.star && contacts.list).toHaveLength(2);
    expect(message.headers.get('C%6Fntact')).toBe('<sip:alias2@host2.example.com>');
    expect(getTopVia(message).params.get('branch')).toBe('z9hG4bK209%fzsnel234');
    expect(getFrom(message).displayName).toBe('%Z%45');
  });

  it('lwsdisp: a display name may touch the <', () => {
    expect(getFrom(request('lwsdisp')).displayName).toBe('caller');
  });

  it('longreq: long values and 34 Vias in every spelling of the name', () => {
    const invite = request('longreq');
    expect(getVias(invite)).toHaveLength(34);
    expect(getTopVia(invite).host).toBe('sip33.example.com');
    expect(getFrom(invite).params.get('tag')).toMatch(/^12982982/);
    expect(invite.body.length).toBe(150);
  });

  it('dblreq: only the first request of the datagram is taken', () => {
    const register = request('dblreq');
    expect(register.method).toBe('REGISTER');
    expect(register.body.length).toBe(0);
  });

  it('semiuri: the semicolons belong to the user part', () => {
    const options = request('semiuri');
    expect(options.uri.type === 'sip' && options.uri.user).toBe('user;par=u@example.net');
    expect(options.uri.type === 'sip' && options.uri.host).toBe('example.com');
    expect(options.uri.type === 'sip' && options.uri.params.size).toBe(0);
  });

  it('transports: unknown transports are kept as tokens', () => {
    expect(getVias(request('transports')).map((v) => v.transport)).toEqual([
      'UDP',
      'SCTP',
      'TLS',
      'UNKNOWN',
      'TCP',
    ]);
  });

  it('mpart01: the binary multipart body is kept octet for octet', () => {
    const raw = rfc4475Message('mpart01');
    const message = parseMessage(raw);
    expect(message.body.length).toBe(553);
    expect(message.body.equals(raw.subarray(raw.length - 553))).toBe(true);
    expect(message.headers.get('content-type')).toBe('multipart/mixed;boundary=7a9cbec02ceef655');
    // MESSAGE is not among the methods Teller serves by default: 405 with Allow, not a parse failure.
    const result = screen('mpart01');
    expect(result.action === 'reject' && result.status).toBe(405);
    expect(result.action === 'reject' && result.response.headers.get('allow')).toContain('INVITE');
  });

  it('unreason and noreason: any UTF-8 reason phrase, or none', () => {
    expect(response('unreason').reason).toBe('= 2**3 * 5**2 но сто девяносто девять - простое');
    expect(response('noreason').reason).toBe('');
    expect(screen('unreason').action).toBe('response');
    expect(screen('noreason').action).toBe('response');
  });

  it('badbranch: the bare magic cookie is not an RFC 3261 transaction id', () => {
    const options = request('badbranch');
    expect(getTopVia(options).params.get('branch')).toBe('z9hG4bK');
    expect(isRfc3261Branch('z9hG4bK')).toBe(false);
  });

  it('bext01: Unsupported lists the Require tags, not the Proxy-Require ones', () => {
    const result = screen('bext01');
    expect(result.action === 'reject' && result.response.headers.get('unsupported')).toBe(
      'nothingSupportsThis, nothingSupportsThisEither',
    );
  });

  it('invut: the 415 says what we accept', () => {
    const result = screen('invut');
    expect(result.action === 'reject' && result.response.headers.get('accept')).toBe('application/sdp');
  });

  it('unksm2: other schemes parse in To, From and Contact before the registrar refuses', () => {
    const message = parseMessage(rfc4475Message('unksm2'));
    expect(getTo(message).uri).toEqual({ type: 'absolute', scheme: 'isbn', opaque: '2983792873' });
    expect(getFrom(message).uri).toEqual({ type: 'absolute', scheme: 'http', opaque: '//www.example.com' });
  });

  it('regaut01: an unknown Authorization scheme is kept for the registrar to challenge', () => {
    expect(request('regaut01').headers.get('authorization')).toBe('NoOneKnowsThisScheme opaque-data=here');
  });

  it('bcast: the response parses, and is dropped because it carries two Vias', () => {
    expect(getVias(response('bcast'))).toHaveLength(2);
    expect(screen('bcast')).toEqual({ action: 'drop', reason: 'More than one Via in a response' });
  });

  it('cparam01 and cparam02: unknownparam belongs to the header without <>, to the URI within', () => {
    const bare = getContacts(request('cparam01'));
    expect(!bare.star && bare.list[0]!.params.has('unknownparam')).toBe(true);
    expect(!bare.star && bare.list[0]!.uri.type === 'sip' && bare.list[0]!.uri.params.size).toBe(0);
    const enclosed = getContacts(request('cparam02'));
    expect(!enclosed.star && enclosed.list[0]!.params.size).toBe(0);
    expect(
      !enclosed.star &&
        enclosed.list[0]!.uri.type === 'sip' &&
        enclosed.list[0]!.uri.params.has('unknownparam'),
    ).toBe(true);
  });

  it('regescrt: the escaped Route stays in the Contact URI', () => {
    const contacts = getContacts(request('regescrt'));
    const uri = !contacts.star ? contacts.list[0]!.uri : undefined;
    expect(uri?.type === 'sip' && uri.headers).toEqual([['Route', '<sip:sip.example.com>']]);
  });

  it('inv2543: no branch, no tag, no Content-Length, no Max-Forwards', () => {
    const invite = request('inv2543');
    expect(getTopVia(invite).params.has('branch')).toBe(false);
    expect(getFrom(invite).params.has('tag')).toBe(false);
    expect(getMaxForwards(invite)).toBeUndefined();
    expect(invite.body.toString()).toMatch(/^v=0\r\n[\s\S]*m=audio 49217 RTP\/AVP 0\r\n$/);
  });

  it('zeromf: OPTIONS at Max-Forwards 0 passes, another method would get 483', () => {
    expect(request('zeromf').method).toBe('OPTIONS');
    const bye = rfc4475Message('zeromf').toString('latin1').replaceAll('OPTIONS', 'BYE');
    const result = screenMessage(Buffer.from(bye, 'latin1'));
    expect(result.action === 'reject' && result.status).toBe(483);
  });

  it('baddn: the display name alone is enough to refuse it, terminated or not', () => {
    const terminated = Buffer.concat([rfc4475Message('baddn'), Buffer.from('\r\n')]);
    const result = screenMessage(terminated);
    expect(result.action === 'reject' && [result.status, result.reason]).toEqual([
      400,
      'Malformed From display name',
    ]);
  });

  it('mcl01 over a stream is a framing error that closes the connection', () => {
    const framer = new StreamFramer();
    const frames = framer.push(rfc4475Message('mcl01'));
    expect(frames.map((f) => f.kind)).toEqual(['error']);
    expect(frames[0]!.kind === 'error' && frames[0]!.error.reason).toMatch(/Multiple Content-Length/);
    // The stream is dead: what follows is not framed.
    const after = framer.push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 0\r\n\r\n'));
    expect(after.map((f) => f.kind === 'error' && f.error.reason)).toEqual([
      'Multiple Content-Length headers',
    ]);
  });
});
