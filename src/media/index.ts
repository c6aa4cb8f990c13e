/**
 * media: the RTP media engine. In: requests from the call layer (open an endpoint on a port for
 * an SDP answer, connect it to the peer's address, play prompts, record, bridge, mix, send keys)
 * and RTP/RTCP datagrams from peers. Out: RTP/RTCP to peers, WAV recordings on disk, and events
 * (`dtmf`, `playback-finished`, `recording-stopped`, `media-timeout`, `worker-died`) with
 * per-stream counters. Media runs on worker threads, each with one 20 ms tick for all its streams.
 * It never parses SIP or SDP, never decides what a call does, and never touches the store.
 */
export {
  DTMF_DIGITS,
  type DtmfDigit,
  DtmfEventSender,
  eventOfDigit,
  isDtmfDigit,
  parseTelephoneEvent,
  type TelephoneEvent,
  writeTelephoneEvent,
} from './dtmf-event';
export {
  type CreateEndpointOptions,
  type EndpointInfo,
  MediaEngine,
  type MediaEngineOptions,
  type MixMember,
  type PlayOptions,
  type RecordOptions,
} from './engine';
export { MediaError, type MediaErrorCode, mediaErrorCodes } from './errors';
export { decodeG711, decodeSample, encodeG711, encodeSample, type G711Law } from './g711';
export { type MixRole, mixRoles } from './mix';
export { loadRtpIo } from './native-io';
export type {
  EndpointId,
  EndpointStats,
  MediaDirection,
  MediaEventName,
  MediaEvents,
  MixId,
  PlaybackId,
  PlayItem,
  RecordingId,
  RecordingInfo,
  RemoteAddress,
  StreamSettings,
  WorkerScheduling,
  WorkerStats,
} from './protocol';
export { parseRtcp, type RtcpPacket, serializeRtcp } from './rtcp';
export { parseRtp, type RtpPacket, serializeRtp } from './rtp';
export { dtmfTone, ToneGenerator, type ToneSpec, tones } from './tone';
export { type Audio, decodeWav, encodeWav } from './wav';
