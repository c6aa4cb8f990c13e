/**
 * webrtc: the gateway between browsers and Teller's plain RTP. In: a browser's SDP offer or
 * answer (JSEP: UDP/TLS/RTP/SAVPF, ICE, a DTLS fingerprint, opus and G.711), ICE/DTLS/SRTP
 * datagrams from the browser, plain RTP from a media endpoint. Out: the SDP for the browser,
 * an RTP/AVP description of the plain side for the call layer, decrypted RTP to the media
 * endpoint, encrypted RTP to the browser, per-leg counters and `error` events.
 * Flow per leg: ICE -> DTLS -> SRTP (werift) <-> relay <-> UDP socket <-> media engine.
 * It never transcodes (G.711 on both sides, RFC 4733 events passed as they are), never parses
 * SIP, never mixes or records (the media engine does), and never contacts a STUN or TURN server.
 */
export { WebRtcError, type WebRtcErrorCode, webRtcErrorCodes } from './errors';
export { WebRtcGateway, type WebRtcGatewayOptions } from './gateway';
export {
  type WebRtcLeg,
  type WebRtcLegEvents,
  type WebRtcLegState,
  type WebRtcLegStats,
  type WebRtcSideStats,
  webRtcLegStates,
} from './leg';
export { type G711, isWebRtcSdp, type NegotiatedMedia, type PlainSide, type WebRtcDirection } from './sdp';
