/**
 * Call applications: what answers a dialled number that is not a person — the phone-banking IVR,
 * the line-test number. The call layer answers the caller's leg, records it, and hands the
 * application a narrow handle on it; the application never sees SIP, SDP or media endpoints.
 *
 *   caller ──INVITE──▶ CallManager ──answered(call)──▶ application
 *          ◀──200────        │  ◀── play / stop / pause recording / park / hang up
 *          ──RTP keys──▶ media ──digit(key)──▶ application
 *          ──BYE──────▶      └──ended('caller')──▶ application
 */

/**
 * How a playback ended: played to its end, stopped by the application, replaced by another
 * playback, or cut off because the call ended.
 */
export const playbackEnds = ['completed', 'stopped', 'replaced', 'closed'] as const;
export type PlaybackEnd = (typeof playbackEnds)[number];

export interface Playback {
  readonly id: string;
  /** Settles once, when the playback is over; never rejects. */
  readonly ended: Promise<PlaybackEnd>;
}

/** Where a key came from: an RFC 4733 event, a tone heard in the audio, or a SIP INFO. */
export const dtmfSources = ['rfc4733', 'inband', 'info'] as const;
export type DtmfSource = (typeof dtmfSources)[number];

/** Who ended an application's call: the caller (BYE, CANCEL), the application, or Teller itself (shutdown, no ACK, media lost). */
export type AppCallEnd = 'caller' | 'application' | 'system';

/** An answered inbound call, as an application handles it. Every method rejects with CALL_ENDED once the call is over. */
export interface AnsweredCall {
  /** The call detail record's id. */
  readonly id: string;
  readonly sipCallId: string;
  /**
   * The calling number: for a trusted trunk the P-Asserted-Identity (RFC 3325) or else the From
   * user part; for a registered user their extension.
   */
  readonly caller: string;
  readonly callerKind: 'trunk' | 'user';
  readonly dialled: string;
  /** False once the call has ended. */
  readonly live: boolean;
  /** Plays WAV files back to back, replacing whatever was playing. Resolves once it has started. */
  play(files: readonly string[], options?: { loop?: boolean }): Promise<Playback>;
  /** Plays keys as DTMF tones in the audio (a line test hears its own keys). */
  playTones(digits: string, toneMs?: number): Promise<Playback>;
  /** Stops the current playback (its `ended` says `stopped`); nothing playing is not an error. */
  stopPlayback(): Promise<void>;
  /** PCI DSS: the recording writes silence until resumed (a PIN or card number is being keyed). */
  pauseRecording(): Promise<void>;
  resumeRecording(): Promise<void>;
  /**
   * Hands the call on to a queue: the caller hears the hold music, looped, and the call stays up
   * until it is connected on or someone hangs up. Keys still reach the application.
   */
  park(): Promise<void>;
  /** Ties the call detail record to the contact (interaction) it became. */
  linkInteraction(interactionId: string): Promise<void>;
  /** Ends the call with BYE; `ended('application')` follows. */
  hangUp(): Promise<void>;
}

/** What an application hears about a call it answered. A throwing handler is logged, never fatal. */
export interface AppCallHandlers {
  digit?(key: string, source: DtmfSource): void;
  /** Once, when the call is over, however it ended. */
  ended?(by: AppCallEnd): void;
}

export interface CallApplication {
  /** What call detail records show as the route: `app:test`, `ivr:phone-banking`. */
  readonly name: string;
  /** The caller's leg is answered and recording; the application takes it from here. */
  answered(call: AnsweredCall): AppCallHandlers;
}
