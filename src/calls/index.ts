/**
 * calls: the call model over a back-to-back user agent. In: new INVITEs and in-dialog requests
 * from the SIP server, DTMF and playback ends from the media engine. Out: answers and requests
 * on both legs of every call, media bridged, played and recorded through the media engine, call
 * detail records and `call.*` events. It routes by dialled number to a call application (given a
 * narrow handle on the answered caller: play, stop, keys, recording pause, park, hang up) or to
 * an extension; it does not parse SIP or RTP itself, and knows nothing of what an application does.
 */
export type {
  AnsweredCall,
  AppCallEnd,
  AppCallHandlers,
  CallApplication,
  DtmfSource,
  Playback,
  PlaybackEnd,
} from './application';
export {
  CallManager,
  type CallsOptions,
  type JoinMode,
  joinModes,
  type LiveCall,
  type RingOutcome,
  type Route,
} from './b2bua';
export { CallError, type CallErrorCode } from './errors';
export type { CallEvents } from './events';
export { type CallRecord, CallRecords, type Disposition, dispositions } from './records';
export { TestLine } from './test-line';
