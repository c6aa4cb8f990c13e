import type { Logger } from '../core/index';
import { WebRtcError } from './errors';
import { type LegSettings, WebRtcLeg } from './leg';
import type { G711 } from './sdp';

export interface WebRtcGatewayOptions {
  /** Address of the plain RTP side, where the media engine sends; default 127.0.0.1 (same host). */
  plainAddress?: string;
  /** Codecs we take from a browser or offer to it, most wanted first; default PCMU then PCMA. */
  codecs?: readonly G711[];
  /**
   * Host addresses to offer as ICE candidates beyond the machine's interfaces; default
   * `['127.0.0.1']`, so a browser on the same host connects even with no network up.
   */
  iceAdditionalHostAddresses?: string[];
  /** Gather only on these addresses (werift `iceInterfaceAddresses`); default every interface. */
  iceInterfaceAddresses?: { udp4?: string; udp6?: string };
  /** UDP port range for ICE (at least two ports); default ephemeral ports. */
  icePortRange?: [number, number];
  /** Offer IPv6 candidates as well; default true. */
  iceUseIpv6?: boolean;
  /** A leg that is not connected this long after offer/answer fails with WEBRTC_CONNECT_TIMEOUT; default 20 s. */
  connectTimeoutMs?: number;
  logger?: Logger;
}

/**
 * Turns browsers' WebRTC media into plain RTP legs: each `acceptOffer` or `createOffer` opens a
 * `WebRtcLeg` with its own ICE/DTLS-SRTP peer connection and UDP socket pair. No STUN or TURN
 * server is ever contacted: candidates are the host's own addresses, which is what a browser
 * on the same host or LAN needs (ICE with host and peer-reflexive candidates, RFC 8445).
 */
export class WebRtcGateway {
  private readonly legs = new Set<WebRtcLeg>();
  private readonly settings: LegSettings;
  private closed = false;

  constructor(options: WebRtcGatewayOptions = {}) {
    const codecs = options.codecs ?? ['PCMU', 'PCMA'];
    if (codecs.length === 0 || codecs.some((c) => c !== 'PCMU' && c !== 'PCMA'))
      throw new WebRtcError(
        'WEBRTC_SDP_NOT_ACCEPTABLE',
        `codecs must be PCMU and/or PCMA, not ${codecs.join(', ')}`,
      );
    this.settings = {
      peer: {
        // werift's default asks a public STUN server (Google's); Teller never reaches out to one.
        iceServers: [],
        iceAdditionalHostAddresses: options.iceAdditionalHostAddresses ?? ['127.0.0.1'],
        iceUseIpv6: options.iceUseIpv6 ?? true,
        bundlePolicy: 'max-bundle',
        ...(options.iceInterfaceAddresses ? { iceInterfaceAddresses: options.iceInterfaceAddresses } : {}),
        ...(options.icePortRange ? { icePortRange: options.icePortRange } : {}),
      },
      codecs,
      plainAddress: options.plainAddress ?? '127.0.0.1',
      connectTimeoutMs: options.connectTimeoutMs ?? 20_000,
      logger: options.logger,
    };
  }

  /** Legs open now. */
  get size(): number {
    return this.legs.size;
  }

  /**
   * Answers a browser's offer (from an INVITE, or the 200 to an offerless INVITE): returns the
   * leg and the SDP answer for the browser. Throws WEBRTC_SDP_INVALID or
   * WEBRTC_SDP_NOT_ACCEPTABLE (nothing is left open then).
   */
  async acceptOffer(browserSdp: string): Promise<{ leg: WebRtcLeg; answer: string }> {
    const leg = await this.open('answerer');
    try {
      return { leg, answer: await leg.answer(browserSdp) };
    } catch (error) {
      await leg.close();
      throw error;
    }
  }

  /** An offer for a browser (Teller calls it); give its answer to `leg.acceptAnswer`. */
  async createOffer(): Promise<{ leg: WebRtcLeg; offer: string }> {
    const leg = await this.open('offerer');
    try {
      return { leg, offer: await leg.offer() };
    } catch (error) {
      await leg.close();
      throw error;
    }
  }

  private async open(role: 'answerer' | 'offerer'): Promise<WebRtcLeg> {
    if (this.closed) throw new WebRtcError('WEBRTC_CLOSED', 'the WebRTC gateway is closed');
    const leg = await WebRtcLeg.open(this.settings, role);
    this.legs.add(leg);
    leg.on('closed', () => this.legs.delete(leg));
    return leg;
  }

  /** Closes every leg; later offers are refused. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.legs].map((leg) => leg.close()));
  }
}
