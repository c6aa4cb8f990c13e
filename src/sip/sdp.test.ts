import { describe, expect, it } from 'vitest';
import { answerOffer, createOffer, isHoldOffer, isSipError, parseSdp, readAnswer, SdpOrigin } from './index';

const local = { address: '198.51.100.5', port: 20_000 };

function offer(lines: string[], session: string[] = []): string {
  return [
    'v=0',
    'o=alice 2890844526 2890844526 IN IP4 192.0.2.10',
    's=-',
    'c=IN IP4 192.0.2.10',
    't=0 0',
    ...session,
    ...lines,
    '',
  ].join('\r\n');
}

function statusOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (error) {
    if (isSipError(error)) return error.status;
    throw error;
  }
  return undefined;
}

describe('answering an offer', () => {
  it('takes PCMU and telephone-event from a phone offer and answers with our address', () => {
    const { sdp, audio } = answerOffer(
      offer([
        'm=audio 40000 RTP/AVP 0 8 101',
        'a=rtpmap:101 telephone-event/8000',
        'a=fmtp:101 0-16',
        'a=ptime:20',
      ]),
      local,
    );
    expect(audio).toEqual({
      codec: { name: 'PCMU', payloadType: 0 },
      telephoneEvent: { payloadType: 101 },
      remote: { address: '192.0.2.10', port: 40000 },
      direction: 'sendrecv',
      remoteHold: false,
      ptime: 20,
      mediaIndex: 0,
    });
    const answer = parseSdp(sdp);
    expect(answer.connection?.ip).toBe('198.51.100.5');
    expect(answer.media).toHaveLength(1);
    expect(answer.media[0]).toMatchObject({
      port: 20000,
      protocol: 'RTP/AVP',
      payloads: '0 101',
      direction: 'sendrecv',
    });
    expect(answer.media[0]!.fmtp).toEqual([{ payload: 101, config: '0-15' }]);
    expect(sdp).toMatch(/^v=0\r\no=teller \d+ \d+ IN IP4 198\.51\.100\.5\r\n/);
  });

  it("keeps the offer's payload numbers and follows our codec preference", () => {
    const text = offer([
      'm=audio 40000 RTP/AVP 97 8 96',
      'a=rtpmap:97 pcmu/8000',
      'a=rtpmap:96 telephone-event/8000',
    ]);
    expect(answerOffer(text, local).audio).toMatchObject({
      codec: { name: 'PCMU', payloadType: 97 },
      telephoneEvent: { payloadType: 96 },
    });
    expect(answerOffer(text, { ...local, codecs: ['PCMA', 'PCMU'] }).audio.codec).toEqual({
      name: 'PCMA',
      payloadType: 8,
    });
    expect(answerOffer(text, { ...local, telephoneEvent: false }).audio.telephoneEvent).toBeUndefined();
  });

  it('declines the streams it does not take, keeping every m= line in order', () => {
    const { sdp, audio } = answerOffer(
      offer(['m=video 50000 RTP/AVP 31', 'm=audio 40000 RTP/AVP 8', 'm=audio 40002 RTP/AVP 0']),
      local,
    );
    expect(audio.mediaIndex).toBe(1);
    expect(parseSdp(sdp).media.map((m) => `${m.type} ${m.port}`)).toEqual([
      'video 0',
      'audio 20000',
      'audio 0',
    ]);
  });

  it.each([
    ['only Opus', ['m=audio 40000 RTP/AVP 111', 'a=rtpmap:111 opus/48000/2']],
    ['only video', ['m=video 40000 RTP/AVP 31']],
    ['a WebRTC offer', ['m=audio 9 UDP/TLS/RTP/SAVPF 0 8']],
    ['SRTP', ['m=audio 40000 RTP/SAVP 0']],
    ['PCMU at 16 kHz', ['m=audio 40000 RTP/AVP 98', 'a=rtpmap:98 PCMU/16000']],
    ['a rejected stream', ['m=audio 0 RTP/AVP 0']],
  ])('answers 488 to %s', (_name, lines) => {
    expect(statusOf(() => answerOffer(offer(lines), local))).toBe(488);
  });

  it('answers 400 to what is not SDP', () => {
    expect(statusOf(() => answerOffer('hello', local))).toBe(400);
    expect(
      statusOf(() =>
        answerOffer('v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n', local),
      ),
    ).toBe(400);
  });
});

describe('hold', () => {
  it.each([
    ['a=sendonly', ['m=audio 40000 RTP/AVP 0', 'a=sendonly'], [], 'recvonly'],
    ['a=inactive', ['m=audio 40000 RTP/AVP 0', 'a=inactive'], [], 'inactive'],
    ['session-level sendonly', ['m=audio 40000 RTP/AVP 0'], ['a=sendonly'], 'recvonly'],
  ] as const)('detects %s and answers %s', (_name, lines, session, answered) => {
    const text = offer([...lines], [...session]);
    expect(isHoldOffer(text)).toBe(true);
    const { sdp, audio } = answerOffer(text, local);
    expect(audio.remoteHold).toBe(true);
    expect(audio.direction).toBe(answered);
    expect(parseSdp(sdp).media[0]!.direction).toBe(answered);
  });

  it('detects the RFC 2543 hold, c=0.0.0.0', () => {
    const text = offer(['m=audio 40000 RTP/AVP 0', 'c=IN IP4 0.0.0.0']);
    expect(isHoldOffer(text)).toBe(true);
    expect(answerOffer(text, local).audio).toMatchObject({
      remoteHold: true,
      remote: { address: '0.0.0.0' },
    });
  });

  it('sees no hold in a plain offer, and resumes with sendrecv', () => {
    expect(isHoldOffer(offer(['m=audio 40000 RTP/AVP 0']))).toBe(false);
    expect(isHoldOffer(offer(['m=audio 40000 RTP/AVP 0', 'a=recvonly']))).toBe(false);
  });

  it('holds from our side: our sendonly against their sendrecv', () => {
    const { audio } = answerOffer(offer(['m=audio 40000 RTP/AVP 0']), { ...local, direction: 'sendonly' });
    expect(audio).toMatchObject({ direction: 'sendonly', remoteHold: false });
  });
});

describe('offering', () => {
  it('offers PCMU, PCMA and telephone-event, and reads the answer back', () => {
    const caller = { address: '2001:db8::5', port: 30_000 };
    const made = createOffer(caller);
    expect(made).toContain('c=IN IP6 2001:db8::5\r\n');
    expect(made).toContain('m=audio 30000 RTP/AVP 0 8 101\r\n');
    const { sdp } = answerOffer(made, { ...local, codecs: ['PCMA'] });
    expect(readAnswer(sdp, caller)).toMatchObject({
      codec: { name: 'PCMA', payloadType: 8 },
      telephoneEvent: { payloadType: 101 },
      remote: { address: '198.51.100.5', port: 20000 },
      direction: 'sendrecv',
    });
  });

  it('refuses an answer that takes none of our codecs', () => {
    const answer = offer(['m=audio 40000 RTP/AVP 18', 'a=rtpmap:18 G729/8000']);
    expect(statusOf(() => readAnswer(answer, local))).toBe(488);
  });

  it('raises the o= version only when the description changes (RFC 3264 §8)', () => {
    const origin = new SdpOrigin('42', 7);
    const versionOf = (sdp: string) => /^o=teller 42 (\d+) /m.exec(sdp)?.[1];
    expect(versionOf(createOffer(local, origin))).toBe('7');
    expect(versionOf(createOffer(local, origin))).toBe('7');
    expect(versionOf(createOffer({ ...local, direction: 'sendonly' }, origin))).toBe('8');
    expect(versionOf(createOffer({ ...local, direction: 'sendonly' }, origin))).toBe('8');
  });
});
