import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { WebRtcError } from './errors';
import { completeAnswer, isWebRtcSdp, prepareOffer, readBrowserAnswer, writePlainDescription } from './sdp';

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, 'fixtures', name), 'utf8');
const chromiumAudio = fixture('chromium-offer-audio.sdp');
const chromiumAll = fixture('chromium-offer-audio-video-data.sdp');

const plainPhoneOffer = [
  'v=0',
  'o=- 1 1 IN IP4 192.0.2.10',
  's=-',
  'c=IN IP4 192.0.2.10',
  't=0 0',
  'm=audio 4000 RTP/AVP 0 8 101',
  'a=rtpmap:101 telephone-event/8000',
  '',
].join('\r\n');

describe('isWebRtcSdp', () => {
  it('tells a browser’s DTLS-SRTP description from a phone’s RTP/AVP one, and never throws', () => {
    expect(isWebRtcSdp(chromiumAudio)).toBe(true);
    expect(isWebRtcSdp(chromiumAll)).toBe(true);
    expect(isWebRtcSdp(plainPhoneOffer)).toBe(false);
    expect(isWebRtcSdp(plainPhoneOffer.replace('RTP/AVP', 'RTP/SAVP'))).toBe(false); // SDES-SRTP is not WebRTC
    expect(isWebRtcSdp('m=audio 9 TCP/TLS/RTP/SAVPF 0\n')).toBe(true);
    expect(isWebRtcSdp('')).toBe(false);
    expect(isWebRtcSdp('\u0000garbage')).toBe(false);
  });
});

describe('prepareOffer', () => {
  it('narrows Chromium’s audio offer to PCMU and telephone-event/8000 and keeps its ICE and DTLS lines', () => {
    const prepared = prepareOffer(chromiumAudio, ['PCMU', 'PCMA']);
    expect(prepared.media).toEqual({
      codec: { name: 'PCMU', payloadType: 0 },
      telephoneEvent: { payloadType: 126, events: '0-15' },
      browserDirection: 'sendrecv',
    });
    const narrowed = parse(prepared.weriftSdp);
    expect(narrowed.media).toHaveLength(1);
    const audio = narrowed.media[0]!;
    expect(audio.payloads).toBe('0 126');
    expect(audio.rtp.map((r) => `${r.payload} ${r.codec}/${r.rate}`)).toEqual([
      '0 PCMU/8000',
      '126 telephone-event/8000',
    ]);
    expect(audio.rtcpFb ?? []).toEqual([]); // opus's transport-cc went with opus
    expect(audio.iceUfrag).toBe(parse(chromiumAudio).media[0]!.iceUfrag);
    expect(audio.fingerprint?.hash).toBe(parse(chromiumAudio).media[0]!.fingerprint?.hash);
    expect(audio.candidates?.length).toBeGreaterThan(0);
    expect(prepared.sections).toHaveLength(1);
  });

  it('follows our preference: PCMA first when so configured', () => {
    expect(prepareOffer(chromiumAudio, ['PCMA']).media.codec).toEqual({ name: 'PCMA', payloadType: 8 });
  });

  it('keeps only the audio section of an audio, video and data offer, and bundles it alone', () => {
    const prepared = prepareOffer(chromiumAll, ['PCMU', 'PCMA']);
    const narrowed = parse(prepared.weriftSdp);
    expect(narrowed.media.map((m) => m.type)).toEqual(['audio']);
    expect(narrowed.groups?.map((g) => `${g.type} ${g.mids}`)).toEqual(['BUNDLE 0']);
    expect(prepared.sections.map((s) => s.type)).toEqual(['audio', 'video', 'application']);
    expect(prepared.acceptedIndex).toBe(0);
  });

  it('refuses what it cannot take, with codes the SIP layer maps to 400 and 488', () => {
    const attempt = (sdp: string) => {
      try {
        prepareOffer(sdp, ['PCMU', 'PCMA']);
      } catch (error) {
        expect(error).toBeInstanceOf(WebRtcError);
        return `${(error as WebRtcError).code}: ${(error as Error).message}`;
      }
      throw new Error('accepted');
    };
    expect(attempt('v=1')).toMatch(/^WEBRTC_SDP_INVALID: .*no v=0/);
    expect(attempt(plainPhoneOffer)).toMatch(/^WEBRTC_SDP_NOT_ACCEPTABLE: .*no DTLS-SRTP/);
    const opusOnly = chromiumAudio
      .replace(/^m=audio (\d+) UDP\/TLS\/RTP\/SAVPF .*$/m, 'm=audio $1 UDP/TLS/RTP/SAVPF 111')
      .replace(/^a=rtpmap:(?!111 ).*\r\n/gm, '');
    expect(attempt(opusOnly)).toMatch(/^WEBRTC_SDP_NOT_ACCEPTABLE: .*no PCMU or PCMA .*\(opus\)/);
    expect(attempt(chromiumAudio.replace(/^a=fingerprint:.*\r\n/m, ''))).toMatch(
      /WEBRTC_SDP_INVALID: .*fingerprint/,
    );
    expect(attempt(chromiumAudio.replace(/^a=ice-ufrag:.*\r\n/m, ''))).toMatch(
      /WEBRTC_SDP_INVALID: .*ice-ufrag/,
    );
  });
});

describe('completeAnswer', () => {
  it('declines the sections werift never saw with port 0 and their mid, in the offer’s order', () => {
    const prepared = prepareOffer(chromiumAll, ['PCMU']);
    const weriftAnswer = [
      'v=0',
      'o=- 1 0 IN IP4 0.0.0.0',
      's=-',
      't=0 0',
      'a=group:BUNDLE 0',
      'm=audio 9 UDP/TLS/RTP/SAVPF 0 126',
      'c=IN IP4 0.0.0.0',
      'a=mid:0',
      'a=rtpmap:0 PCMU/8000',
      '',
    ].join('\r\n');
    const answer = completeAnswer(weriftAnswer, prepared);
    const media = parse(answer).media;
    expect(media.map((m) => `${m.type} ${m.port} ${m.protocol} ${m.payloads} mid=${m.mid}`)).toEqual([
      'audio 9 UDP/TLS/RTP/SAVPF 0 126 mid=0',
      'video 0 UDP/TLS/RTP/SAVPF 96 mid=1',
      'application 0 UDP/DTLS/SCTP webrtc-datachannel mid=2',
    ]);
    expect(answer.endsWith('\r\n')).toBe(true);
    expect(answer).not.toMatch(/[^\r]\n/);
  });
});

describe('readBrowserAnswer', () => {
  it('takes the first codec in the answer’s order among those offered', () => {
    const answer = chromiumAudio.replace(
      /^m=audio (\d+) UDP\/TLS\/RTP\/SAVPF .*$/m,
      'm=audio $1 UDP/TLS/RTP/SAVPF 8 0 126',
    );
    expect(readBrowserAnswer(answer, ['PCMU', 'PCMA']).codec).toEqual({ name: 'PCMA', payloadType: 8 });
    expect(readBrowserAnswer(answer, ['PCMU']).codec).toEqual({ name: 'PCMU', payloadType: 0 });
    expect(() => readBrowserAnswer(answer.replace(/^m=audio \d+/m, 'm=audio 0'), ['PCMU'])).toThrow(
      /declined/,
    );
  });
});

describe('writePlainDescription', () => {
  it('writes the relay’s side as a phone’s RTP/AVP offer with the browser’s formats and direction', () => {
    const sdp = writePlainDescription(
      { address: '127.0.0.1', port: 41000, rtcpPort: 41003 },
      {
        codec: { name: 'PCMU', payloadType: 0 },
        telephoneEvent: { payloadType: 126, events: '0-16' },
        browserDirection: 'sendonly',
      },
      { sessionId: '7', version: 3 },
    );
    const session = parse(sdp);
    expect(session.origin).toMatchObject({ sessionId: 7, sessionVersion: 3, address: '127.0.0.1' });
    expect(session.connection?.ip).toBe('127.0.0.1');
    const [audio] = session.media;
    expect(audio).toMatchObject({
      type: 'audio',
      port: 41000,
      protocol: 'RTP/AVP',
      payloads: '0 126',
      ptime: 20,
      direction: 'sendonly',
      rtcp: { port: 41003 },
    });
    expect(audio!.fmtp).toEqual([{ payload: 126, config: '0-16' }]);
  });
});
