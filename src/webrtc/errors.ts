import { type ErrorKind, TellerError } from '../core/index';

/**
 * Every failure the webrtc module reports, by stable code (never reused). The call layer maps
 * them: an SDP code becomes the SIP status of the same meaning (400 or 488) to the browser, a
 * transport failure hangs the call up.
 */
export const webRtcErrorCodes = {
  /** The SDP cannot be read, or lacks what DTLS-SRTP needs (ICE credentials, a fingerprint). */
  WEBRTC_SDP_INVALID: 'invalid',
  /** Readable SDP that offers nothing we take: no DTLS-SRTP audio, no PCMU/PCMA, no rtcp-mux. */
  WEBRTC_SDP_NOT_ACCEPTABLE: 'invalid',
  /** A call made in the wrong state of the leg, e.g. `acceptAnswer` on a leg that answered. */
  WEBRTC_BAD_STATE: 'conflict',
  /** ICE found no working candidate pair. */
  WEBRTC_ICE_FAILED: 'unavailable',
  /** The DTLS handshake failed (a fingerprint that does not match, an alert). */
  WEBRTC_DTLS_FAILED: 'unavailable',
  /** ICE and DTLS did not complete within the connect timeout. */
  WEBRTC_CONNECT_TIMEOUT: 'unavailable',
  /** A connected leg lost its path (RFC 7675 consent expired, DTLS closed by the browser). */
  WEBRTC_DISCONNECTED: 'unavailable',
  /** The plain RTP socket could not be opened. */
  WEBRTC_IO: 'internal',
  /** The leg or the gateway is closed. */
  WEBRTC_CLOSED: 'unavailable',
} as const satisfies Record<string, ErrorKind>;

export type WebRtcErrorCode = keyof typeof webRtcErrorCodes;

/** The webrtc module's one error class: a TellerError whose code starts with `WEBRTC_`. */
export class WebRtcError extends TellerError {
  declare readonly code: WebRtcErrorCode;

  constructor(code: WebRtcErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, webRtcErrorCodes[code], message, options);
    this.name = 'WebRtcError';
  }
}
