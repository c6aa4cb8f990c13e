import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Clock, Logger } from '../core/index';
import type {
  EndpointInfo,
  EndpointStats,
  MediaEngine,
  MixId,
  MixMember,
  RecordingId,
  StreamSettings,
} from '../media/index';
import {
  AckWait,
  answerOffer,
  createCancel,
  createOffer,
  createRequest,
  createResponse,
  Dialog,
  dialogIdOfRequest,
  dialogKey,
  type Flow,
  getCallId,
  getCSeq,
  getFrom,
  type InviteServerTransaction,
  isSipError,
  type NegotiatedAudio,
  newTag,
  parseNameAddr,
  parseUri,
  readAnswer,
  reasonPhrases,
  SdpOrigin,
  type ServerTransaction,
  type SipCallCore,
  type SipIdentity,
  type SipRequest,
  type SipResponse,
  type SipServer,
  sipUri,
  type Uri,
} from '../sip/index';
import {
  isWebRtcSdp,
  WebRtcError,
  type WebRtcGateway,
  type WebRtcLeg,
  type WebRtcLegStats,
} from '../webrtc/index';
import { AppCall } from './app-call';
import type { AppCallEnd, CallApplication, DtmfSource } from './application';
import { CallError } from './errors';
import type { CallRecord, CallRecords, Disposition } from './records';
import { contactFor, sendRequest, viaFor } from './signaling';

/** What a dialled number reaches: an application (the IVR, the line test), a person's extension, or nothing. */
export type Route =
  | { kind: 'app'; app: CallApplication }
  | { kind: 'extension'; extension: string }
  | { kind: 'none' };

export interface CallsOptions {
  server: SipServer;
  media: MediaEngine;
  records: CallRecords;
  clock: Clock;
  logger: Logger;
  /** Where recordings go (created if missing). */
  recordingsDir: string;
  /** Played, looped, to a caller on hold or parked by an application (a WAV file). */
  holdMusic: string;
  /** Maps a dialled number to what it reaches. */
  route(dialled: string): Promise<Route>;
  /** Ends browsers' WebRTC media (DTLS-SRTP, ICE) and relays it to plain RTP legs; without it, WebRTC offers get 488. */
  webrtc?: WebRtcGateway;
  /**
   * Where calls to telephone numbers that are not registered extensions go (a carrier's SIP
   * trunk, over UDP): callbacks to customers, transfers and conferences to outside numbers.
   * Without it, such a number is answered 480.
   */
  outboundTrunk?: { address: string; port: number };
  /** Call events, for the event log. */
  publish(type: 'call.started' | 'call.answered' | 'call.ended', record: CallRecord): void;
}

type LegState = 'trying' | 'early' | 'answered' | 'ended';

/** What ringing a new leg ended in. */
type LegOutcome =
  | { kind: 'answered'; leg: Leg }
  | {
      kind: 'failed';
      status: number;
      reason: string;
      disposition: Disposition;
      endedBy: CallRecord['endedBy'];
    };

/**
 * How a third party takes part in a call: a supervisor listening (`listen`: hears both, heard by
 * nobody), coaching the agent (`whisper`: heard by the agent only) or joining (`barge`: heard by
 * both); a conference member is a `participant`.
 */
export const joinModes = ['listen', 'whisper', 'barge', 'participant'] as const;
export type JoinMode = (typeof joinModes)[number];

/** What ringing someone for a call ended in: they answered, or the ring failed and the call goes on without them. */
export type RingOutcome =
  | { kind: 'answered' }
  | { kind: 'failed'; status: number; reason: string; disposition: Disposition };

/** A call in progress as operations see it (the supervisor's live calls list). */
export interface LiveCall {
  id: string;
  caller: string;
  callee: string;
  route: string;
  startedAt: number;
  answeredAt: number | null;
  interactionId: string | null;
  /** The party on the second leg (the agent or the extension called), once answered. */
  connectedTo: string | null;
  /** Who is being rung for the call right now, if anyone. */
  ringing: string | null;
  /** Third parties in the call: supervisors and conference members. */
  joined: { party: string; mode: JoinMode }[];
}

/** One side of a call through the B2BUA: a SIP dialog and its RTP endpoint. */
class Leg {
  state: LegState = 'trying';
  dialog: Dialog | undefined;
  audio: NegotiatedAudio | undefined;
  ackWait: AckWait | undefined;
  /** The far end has put this leg on hold (its re-INVITE said sendonly/inactive). */
  remoteHold = false;
  toTag: string | undefined;
  cancel: (() => void) | undefined;
  /** A browser's leg: its WebRTC media is relayed to `endpoint` by this gateway leg. */
  webrtc: WebRtcLeg | undefined;

  constructor(
    readonly role: 'uas' | 'uac',
    readonly flow: Flow,
    readonly invite: SipRequest,
    readonly endpoint: EndpointInfo,
    /** The extension or number of the party on this leg. */
    readonly party: string,
    /** Our o= line for this leg across offers and answers (RFC 3264 §8: same id, version up on change). */
    readonly origin: SdpOrigin,
  ) {}
}

class Call {
  b: Leg | undefined;
  /** Third parties: supervisors and conference members, mixed in with `a` and `b`. */
  readonly joined = new Map<Leg, JoinMode>();
  /** A leg being rung (the callee, or a transfer target) that is not part of the call yet. */
  pending: Leg | undefined;
  mixId: MixId | undefined;
  recordingId: RecordingId | undefined;
  /** The application's handle, for a call answered by an application. */
  app: AppCall | undefined;
  /**
   * The connected party waits on hold music while the application has the caller again (the
   * agent sent the caller to the IVR to key a PIN the agent must not hear): no mix until `resumeAgent`.
   */
  agentAside = false;
  ended = false;

  constructor(
    public a: Leg,
    readonly record: CallRecord,
    readonly route: Route | { kind: 'callback' },
  ) {}

  other(leg: Leg): Leg | undefined {
    return leg === this.a ? this.b : this.a;
  }
}

function settingsOf(audio: NegotiatedAudio): StreamSettings {
  const settings: StreamSettings = {
    codec: audio.codec.name === 'PCMU' ? 'pcmu' : 'pcma',
    payloadType: audio.codec.payloadType,
    direction: audio.direction,
  };
  if (audio.telephoneEvent) settings.telephoneEventPt = audio.telephoneEvent.payloadType;
  if (audio.remote.address !== '0.0.0.0' && audio.remote.port > 0) {
    settings.remote = {
      address: audio.remote.address,
      port: audio.remote.port,
      ...(audio.remote.rtcpPort ? { rtcpPort: audio.remote.rtcpPort } : {}),
    };
  }
  return settings;
}

/** Status of the final answer to the caller when the callee's leg fails. */
function dispositionOf(status: number): Disposition {
  if (status === 486 || status === 600) return 'busy';
  if (status === 408 || status === 480) return 'no-answer';
  if (status === 487) return 'cancelled';
  if (status === 603 || status === 403) return 'rejected';
  return 'failed';
}

/**
 * The call layer over the SIP server: a back-to-back user agent. Each call has the caller's leg
 * (we are its UAS) and, for a call to an extension, the callee's leg (we are its UAC), each with
 * its own dialog and RTP endpoint; media is bridged between the endpoints, never passed through
 * untouched, so Teller can record, play music on hold, and later mix in a supervisor.
 *
 *   caller ──INVITE──▶ Teller ──INVITE──▶ callee
 *          ◀──180───          ◀──180───
 *          ◀──200───          ◀──200─── (ACK)      media: caller ⇄ bridge ⇄ callee
 *   BYE from either side ends both legs.
 */
export class CallManager implements SipCallCore {
  private readonly byDialog = new Map<string, { call: Call; leg: Leg }>();
  private readonly byInvite = new Map<InviteServerTransaction, Call>();
  private readonly byEndpoint = new Map<string, { call: Call; leg: Leg }>();
  readonly calls = new Set<Call>();

  constructor(private readonly o: CallsOptions) {
    mkdirSync(o.recordingsDir, { recursive: true });
    o.media.on('dtmf', (event) => {
      const found = this.byEndpoint.get(event.endpointId);
      if (found) this.onDigit(found.call, found.leg, event.digit, event.source);
    });
    o.media.on('playback-finished', (event) => {
      const found = this.byEndpoint.get(event.endpointId);
      if (found && found.leg === found.call.a) found.call.app?.playbackEnded(event.playbackId, event.reason);
    });
  }

  /** Calls in progress. */
  get active(): number {
    return this.calls.size;
  }

  // ---- inbound INVITE -------------------------------------------------------------------

  onInvite(request: SipRequest, transaction: InviteServerTransaction, flow: Flow, caller: SipIdentity): void {
    this.startCall(request, transaction, flow, caller).catch((error: unknown) => {
      this.o.logger.error({ err: error }, 'call setup failed');
      if (transaction.final === undefined) transaction.respond(createResponse(request, 500));
    });
  }

  private async startCall(
    request: SipRequest,
    transaction: InviteServerTransaction,
    flow: Flow,
    caller: SipIdentity,
  ): Promise<void> {
    const dialled = request.uri.type === 'sip' ? (request.uri.user ?? '') : '';
    const route = await this.o.route(dialled);
    if (route.kind === 'none') {
      transaction.respond(createResponse(request, 404, { reason: 'No Such Number' }));
      return;
    }
    if (route.kind === 'extension' && caller.kind === 'user' && route.extension === caller.extension) {
      transaction.respond(createResponse(request, 486, { reason: 'Calling Yourself' }));
      return;
    }
    if (request.body.length === 0) {
      // Offerless INVITEs (offer in the 200, answer in the ACK) are not supported.
      transaction.respond(createResponse(request, 488, { reason: 'SDP Offer Required' }));
      return;
    }
    const offer = request.body.toString('utf8');
    let web: { leg: WebRtcLeg; answer: string } | undefined;
    if (isWebRtcSdp(offer)) {
      if (!this.o.webrtc) {
        transaction.respond(createResponse(request, 488, { reason: 'WebRTC Not Supported' }));
        return;
      }
      try {
        web = await this.o.webrtc.acceptOffer(offer);
      } catch (error) {
        if (!(error instanceof WebRtcError)) throw error;
        const status = error.code === 'WEBRTC_SDP_INVALID' ? 400 : 488;
        transaction.respond(createResponse(request, status, { reason: error.message.slice(0, 100) }));
        return;
      }
    }
    const endpoint = await this.o.media.createEndpoint({});
    const origin = new SdpOrigin();
    let answer: { sdp: string; audio: NegotiatedAudio };
    try {
      answer = answerOffer(
        web ? web.leg.plainDescription() : offer,
        { address: this.o.server.advertisedHost, port: endpoint.port },
        origin,
      );
    } catch (error) {
      await this.o.media.closeEndpoint(endpoint.id);
      await web?.leg.close();
      if (isSipError(error)) {
        transaction.respond(createResponse(request, error.status, { reason: error.reason }));
        return;
      }
      throw error;
    }
    await this.o.media.updateEndpoint(endpoint.id, settingsOf(answer.audio));
    const callerName = callingNumber(request, caller);
    const leg = new Leg('uas', flow, request, endpoint, callerName, origin);
    leg.audio = answer.audio;
    leg.toTag = newTag();
    if (web) {
      web.leg.connectPlain({ address: endpoint.bindAddress, port: endpoint.port });
      leg.webrtc = web.leg;
    }
    // What the caller gets in our 200: a browser gets the gateway's WebRTC answer.
    const callerSdp = web ? web.answer : answer.sdp;
    const record = await this.o.records.start({
      sipCallId: getCallId(request),
      caller: callerName,
      callee: dialled,
      route: route.kind === 'app' ? route.app.name : `extension:${route.extension}`,
    });
    const call = new Call(leg, record, route);
    this.calls.add(call);
    this.byInvite.set(transaction, call);
    this.byEndpoint.set(endpoint.id, { call, leg });
    this.o.publish('call.started', record);
    leg.webrtc?.on('error', (error) => {
      this.o.logger.warn({ err: error, call: record.id }, 'browser media failed');
      void this.hangUp(call, leg, 'failed', 'system');
    });
    // The caller hung up (CANCEL) while we were setting up.
    if (transaction.final !== undefined) {
      await this.endCall(call, 'cancelled', 'caller');
      return;
    }
    if (route.kind === 'app') {
      await this.answer(call, leg, transaction, callerSdp);
      const recording = path.join(this.o.recordingsDir, `${record.id}.wav`);
      call.recordingId = await this.o.media.record(endpoint.id, { path: recording });
      await this.o.records.answered(record, recording);
      this.o.publish('call.answered', record);
      // The caller may have hung up while the recording started.
      if (!call.ended) this.startApp(call, route.app, caller.kind, dialled);
      return;
    }
    await this.dialExtension(call, transaction, route.extension, callerSdp);
  }

  /** Gives the answered caller's leg to the application. */
  private startApp(call: Call, app: CallApplication, callerKind: SipIdentity['kind'], dialled: string): void {
    const handle = new AppCall({
      id: call.record.id,
      sipCallId: call.record.sipCallId,
      caller: call.record.caller,
      callerKind,
      dialled,
      media: this.o.media,
      endpointId: call.a.endpoint.id,
      recordingId: call.recordingId,
      holdMusic: this.o.holdMusic,
      hangUp: () => this.hangUp(call, call.a, 'answered', 'callee'),
      linkInteraction: (interactionId) => this.o.records.linkInteraction(call.record, interactionId),
      report: (error, context) => this.o.logger.error({ err: error }, context),
    });
    call.app = handle;
    try {
      handle.handlers = app.answered(handle);
    } catch (error) {
      this.o.logger.error({ err: error, app: app.name }, 'call application failed to start');
      void this.hangUp(call, call.a, 'failed', 'system');
    }
  }

  /** Sends the 2xx with our SDP, creates the dialog and waits for the ACK (retransmitting over UDP). */
  private async answer(
    call: Call,
    leg: Leg,
    transaction: InviteServerTransaction,
    sdp: string,
  ): Promise<void> {
    const ok = createResponse(leg.invite, 200, {
      toTag: leg.toTag,
      headers: [
        ['Contact', `<${contactFor(this.o.server, leg.flow)}>`],
        ['Allow', 'INVITE, ACK, CANCEL, BYE, OPTIONS, REFER, NOTIFY, INFO, UPDATE'],
      ],
      body: sdp,
      contentType: 'application/sdp',
    });
    transaction.respond(ok);
    leg.webrtc?.answerDelivered();
    leg.dialog = Dialog.asUas(leg.invite, ok);
    leg.state = 'answered';
    this.byDialog.set(leg.dialog.key, { call, leg });
    this.byInvite.delete(transaction);
    leg.ackWait = new AckWait({
      clock: this.o.clock,
      reliable: leg.flow.reliable,
      resend: () => transaction.respond(ok),
      onTimeout: () => void this.hangUp(call, leg, 'failed', 'system'),
    });
    leg.ackWait.start();
  }

  // ---- calling an extension ---------------------------------------------------------------

  private async dialExtension(
    call: Call,
    transaction: InviteServerTransaction,
    extension: string,
    callerAnswerSdp: string,
  ): Promise<void> {
    const outcome = await this.callOut(call, call.a, extension, () => {
      if (transaction.final === undefined)
        transaction.respond(createResponse(call.a.invite, 180, { toTag: call.a.toTag }));
    });
    if (call.ended) return;
    if (outcome.kind === 'failed') {
      if (transaction.final === undefined) {
        transaction.respond(
          createResponse(call.a.invite, outcome.status, { reason: outcome.reason, toTag: call.a.toTag }),
        );
      }
      await this.endCall(call, outcome.disposition, outcome.endedBy);
      return;
    }
    call.b = outcome.leg;
    if (transaction.final !== undefined) {
      await this.hangUp(call, outcome.leg, 'cancelled', 'caller');
      return;
    }
    await this.answer(call, call.a, transaction, callerAnswerSdp);
    await this.bridge(call);
    await this.o.records.answered(call.record, null);
    this.o.publish('call.answered', call.record);
  }

  /**
   * Rings an extension on a new UAC leg whose media lives beside `near`'s, and waits for the
   * answer. While it rings, `cancelPending` of the call cancels it. `from` is who the INVITE
   * says is calling (the caller's number by default).
   */
  private async callOut(
    call: Call,
    near: Leg,
    extension: string,
    onRinging: () => void,
    headers: readonly [string, string][] = [],
    from: string = call.a.party,
  ): Promise<LegOutcome> {
    const built = await this.newLeg(extension, near.endpoint.id, from, headers);
    if (built.kind === 'failed') return built;
    return this.sendLeg(call, built.leg, onRinging);
  }

  /**
   * Where a call to `target` goes: the contact a registered extension bound, or else, for a
   * telephone number, the outbound trunk (when one is configured).
   */
  private async destination(
    target: string,
  ): Promise<
    { kind: 'found'; flow: Flow; uri: Uri; browser: boolean } | Extract<LegOutcome, { kind: 'failed' }>
  > {
    const unreachable = (status: number, reason: string, disposition: Disposition) =>
      ({ kind: 'failed', status, reason, disposition, endedBy: 'system' }) as const;
    const binding = this.o.server.location.lookup(`sip:${target}@teller`)[0];
    if (binding) {
      try {
        const flow = await this.o.server.flowTo(binding.protocol, binding.source);
        // A browser registered over WebSocket (ws or wss; both are 'ws' flows) gets a WebRTC offer.
        return { kind: 'found', flow, uri: parseUri(binding.contact), browser: binding.protocol === 'ws' };
      } catch {
        return unreachable(480, 'Unreachable', 'failed');
      }
    }
    const trunk = this.o.outboundTrunk;
    if (!trunk || !/^\+?\d{3,20}$/.test(target)) return unreachable(480, 'Not Registered', 'no-answer');
    try {
      const flow = await this.o.server.flowTo('udp', { address: trunk.address, port: trunk.port });
      return {
        kind: 'found',
        flow,
        uri: sipUri({ user: target, host: trunk.address, port: trunk.port }),
        browser: false,
      };
    } catch {
      return unreachable(503, 'Trunk Unreachable', 'failed');
    }
  }

  /** A UAC leg to `target` with its RTP endpoint (beside `near`'s) and INVITE, not sent yet. */
  private async newLeg(
    target: string,
    near: EndpointInfo['id'] | undefined,
    from: string,
    headers: readonly [string, string][],
  ): Promise<{ kind: 'built'; leg: Leg } | Extract<LegOutcome, { kind: 'failed' }>> {
    const found = await this.destination(target);
    if (found.kind === 'failed') return found;
    const { flow, browser } = found;
    let web: { leg: WebRtcLeg; offer: string } | undefined;
    if (browser) {
      if (!this.o.webrtc)
        return {
          kind: 'failed',
          status: 488,
          reason: 'WebRTC Not Supported',
          disposition: 'failed',
          endedBy: 'system',
        };
      web = await this.o.webrtc.createOffer();
    }
    const endpoint = await this.o.media.createEndpoint(near ? { near } : {});
    const origin = new SdpOrigin();
    const host = this.o.server.advertisedHost;
    const invite = createRequest({
      method: 'INVITE',
      uri: found.uri,
      via: viaFor(this.o.server, flow),
      from: {
        displayName: from,
        uri: sipUri({ user: from, host }),
        params: new Map([['tag', newTag()]]),
      },
      to: { uri: sipUri({ user: target, host }), params: new Map() },
      callId: `${newTag()}${newTag()}@teller`,
      cseq: 1,
      contact: parseNameAddr(`<${contactFor(this.o.server, flow)}>`, 'Contact'),
      headers: [['Allow', 'INVITE, ACK, CANCEL, BYE, OPTIONS, REFER, NOTIFY, INFO, UPDATE'], ...headers],
      body: web ? web.offer : createOffer({ address: host, port: endpoint.port }, origin),
      contentType: 'application/sdp',
    });
    const leg = new Leg('uac', flow, invite, endpoint, target, origin);
    leg.webrtc = web?.leg;
    return { kind: 'built', leg };
  }

  /** Sends a new leg's INVITE as the call's pending leg and waits for the answer (then ACKs it). */
  private async sendLeg(call: Call, leg: Leg, onRinging: () => void): Promise<LegOutcome> {
    const { endpoint, invite, flow } = leg;
    const web = leg.webrtc;
    const host = this.o.server.advertisedHost;
    call.pending = leg;
    this.byEndpoint.set(endpoint.id, { call, leg });
    leg.cancel = () => {
      if (leg.state === 'early' || leg.state === 'trying')
        void sendRequest(this.o.server, createCancel(invite), flow);
    };
    const response = await sendRequest(this.o.server, invite, flow, (provisional) => {
      if (provisional.status === 180 || provisional.status === 183) {
        leg.state = 'early';
        onRinging();
      }
    });
    if (call.pending === leg) call.pending = undefined;
    if (response.status >= 300 || call.ended) {
      if (response.status < 300) await this.acceptThenBye(leg, response);
      leg.state = 'ended';
      this.byEndpoint.delete(endpoint.id);
      await this.o.media.closeEndpoint(endpoint.id).catch(() => undefined);
      await web?.close();
      // A callee that timed out is "temporarily unavailable" to the caller (§21.4.18); the phrase
      // goes with the status that is sent, not with the callee's.
      const status = response.status === 408 ? 480 : response.status;
      return {
        kind: 'failed',
        status,
        reason: status === response.status ? response.reason : (reasonPhrases[status] ?? response.reason),
        disposition: dispositionOf(response.status),
        endedBy: 'callee',
      };
    }
    leg.dialog = Dialog.asUac(invite, response);
    leg.state = 'answered';
    this.byDialog.set(leg.dialog.key, { call, leg });
    await this.sendAck(leg, getCSeq(invite).seq);
    try {
      if (web) await web.acceptAnswer(response.body.toString('utf8'));
      const answer = web ? web.plainDescription() : response.body.toString('utf8');
      leg.audio = readAnswer(answer, { address: host, port: endpoint.port });
    } catch (error) {
      // An answer we cannot use: the callee's leg is hung up and the call goes on without it.
      this.o.logger.warn({ err: error, extension: leg.party }, 'unusable answer from callee');
      await this.sendBye(leg);
      if (leg.dialog) this.byDialog.delete(leg.dialog.key);
      this.byEndpoint.delete(endpoint.id);
      await this.o.media.closeEndpoint(endpoint.id).catch(() => undefined);
      await web?.close();
      return {
        kind: 'failed',
        status: 488,
        reason: 'Not Acceptable Here',
        disposition: 'failed',
        endedBy: 'system',
      };
    }
    await this.o.media.updateEndpoint(endpoint.id, settingsOf(leg.audio));
    if (web) {
      web.connectPlain({ address: endpoint.bindAddress, port: endpoint.port });
      web.on('error', (error) => {
        this.o.logger.warn({ err: error, call: call.record.id }, 'browser media failed');
        void this.hangUp(call, leg, 'failed', 'system');
      });
    }
    return { kind: 'answered', leg };
  }

  private async sendAck(leg: Leg, inviteSeq: number): Promise<void> {
    const ack = leg.dialog!.createAck(inviteSeq, { via: viaFor(this.o.server, leg.flow) });
    await leg.flow.send(ack).catch((error: unknown) => this.o.logger.warn({ err: error }, 'ACK not sent'));
  }

  private async acceptThenBye(leg: Leg, response: SipResponse): Promise<void> {
    leg.dialog = Dialog.asUac(leg.invite, response);
    await this.sendAck(leg, getCSeq(leg.invite).seq);
    await this.sendBye(leg);
  }

  private async bridge(call: Call): Promise<void> {
    if (!call.b || call.ended || call.agentAside) return;
    if (call.mixId) return;
    const members: MixMember[] = [
      { endpointId: call.a.endpoint.id, role: 'participant' },
      { endpointId: call.b.endpoint.id, role: 'participant' },
      ...[...call.joined].map(([leg, mode]) => this.memberOf(call, leg, mode)),
    ];
    const { mixId } = await this.o.media.mix(members);
    call.mixId = mixId;
  }

  /** A third party's place in the call's mix: a whisper is heard by the agent's leg (`b`) only. */
  private memberOf(call: Call, leg: Leg, mode: JoinMode): MixMember {
    if (mode === 'whisper' && call.b)
      return { endpointId: leg.endpoint.id, role: 'whisper', target: call.b.endpoint.id };
    return { endpointId: leg.endpoint.id, role: mode === 'barge' ? 'barge' : mode };
  }

  private async unbridge(call: Call): Promise<void> {
    if (!call.mixId) return;
    const mixId = call.mixId;
    call.mixId = undefined;
    await this.o.media.destroyMix(mixId);
  }

  // ---- in-dialog requests --------------------------------------------------------------------

  onAck(ack: SipRequest): void {
    const id = dialogIdOfRequest(ack);
    const found = id && this.byDialog.get(dialogKey(id));
    found?.leg.ackWait?.acknowledged();
  }

  onCancel(invite: InviteServerTransaction): void {
    const call = this.byInvite.get(invite);
    if (!call) return;
    this.byInvite.delete(invite);
    call.pending?.cancel?.();
    void this.endCall(call, 'cancelled', 'caller');
  }

  onDialogRequest(request: SipRequest, transaction: ServerTransaction, _flow: Flow): void {
    const id = dialogIdOfRequest(request);
    const found = id && this.byDialog.get(dialogKey(id));
    if (!found) {
      transaction.respond(createResponse(request, 481));
      return;
    }
    const { call, leg } = found;
    const check = leg.dialog!.receiveRequest(request);
    if (!check.ok) {
      transaction.respond(createResponse(request, check.status, { reason: check.reason }));
      return;
    }
    switch (request.method) {
      case 'BYE':
        transaction.respond(createResponse(request, 200));
        if (call.joined.has(leg)) {
          leg.state = 'ended';
          void this.drop(call, leg);
          return;
        }
        void this.hangUp(call, leg, 'answered', leg === call.a ? 'caller' : 'callee', true);
        return;
      case 'INVITE':
        void this.reinvite(call, leg, request, transaction as InviteServerTransaction);
        return;
      case 'INFO':
        transaction.respond(createResponse(request, 200));
        this.infoDtmf(call, leg, request);
        return;
      case 'REFER':
        this.refer(call, leg, request, transaction);
        return;
      case 'OPTIONS':
      case 'UPDATE':
      case 'NOTIFY':
        transaction.respond(createResponse(request, 200));
        return;
      default:
        transaction.respond(createResponse(request, 501));
    }
  }

  /** A re-INVITE: hold when the offer says sendonly/inactive, resume otherwise (RFC 3264 §8.4). */
  private async reinvite(
    call: Call,
    leg: Leg,
    request: SipRequest,
    transaction: InviteServerTransaction,
  ): Promise<void> {
    try {
      if (request.body.length === 0) {
        transaction.respond(createResponse(request, 488, { reason: 'SDP Offer Required' }));
        return;
      }
      // A browser's offer goes to its gateway leg; the plain side's description says hold or resume.
      const browserAnswer = leg.webrtc
        ? await leg.webrtc.renegotiate(request.body.toString('utf8'))
        : undefined;
      const answer = answerOffer(
        leg.webrtc ? leg.webrtc.plainDescription() : request.body.toString('utf8'),
        { address: this.o.server.advertisedHost, port: leg.endpoint.port },
        leg.origin,
      );
      await this.o.media.updateEndpoint(leg.endpoint.id, settingsOf(answer.audio));
      const ok = createResponse(request, 200, {
        headers: [['Contact', `<${contactFor(this.o.server, leg.flow)}>`]],
        body: browserAnswer ?? answer.sdp,
        contentType: 'application/sdp',
      });
      transaction.respond(ok);
      leg.ackWait?.acknowledged();
      leg.ackWait = new AckWait({
        clock: this.o.clock,
        reliable: leg.flow.reliable,
        resend: () => transaction.respond(ok),
        onTimeout: () => undefined,
      });
      leg.ackWait.start();
      const wasHeld = leg.remoteHold;
      leg.remoteHold = answer.audio.remoteHold;
      leg.audio = answer.audio;
      const other = call.other(leg);
      // While the caller is in the application's hands, hold and resume wait for `resumeAgent`.
      if (call.agentAside) return;
      if (!wasHeld && leg.remoteHold) {
        // Held: the other party hears music instead of silence.
        await this.unbridge(call);
        if (other) await this.o.media.play(other.endpoint.id, { file: this.o.holdMusic }, { loop: true });
      } else if (wasHeld && !leg.remoteHold) {
        if (other) await this.o.media.stopPlayback(other.endpoint.id);
        await this.bridge(call);
      }
    } catch (error) {
      if (isSipError(error)) {
        transaction.respond(createResponse(request, error.status, { reason: error.reason }));
        return;
      }
      if (error instanceof WebRtcError) {
        const status = error.code === 'WEBRTC_SDP_INVALID' ? 400 : 488;
        transaction.respond(createResponse(request, status, { reason: error.message.slice(0, 100) }));
        return;
      }
      this.o.logger.error({ err: error }, 're-INVITE failed');
      transaction.respond(createResponse(request, 500));
    }
  }

  /**
   * REFER (RFC 3515): the party on `leg` transfers the other party of the call. A plain
   * Refer-To is a blind transfer to that extension; one carrying `Replaces` (RFC 3891) is an
   * attended transfer that joins the other party to the call the referrer set up for
   * consultation. Progress goes back to the referrer as NOTIFYs with message/sipfrag bodies;
   * when the transfer succeeds the referrer's leg is released with BYE.
   */
  private refer(call: Call, leg: Leg, request: SipRequest, transaction: ServerTransaction): void {
    const referTo = request.headers.get('refer-to');
    let target: { user: string; replaces: string | undefined };
    try {
      const address = parseNameAddr(referTo ?? '', 'Refer-To');
      if (address.uri.type !== 'sip' || !address.uri.user) throw new Error('not a SIP URI with a user');
      const replaces = address.uri.headers.find(([name]) => name.toLowerCase() === 'replaces')?.[1];
      target = { user: address.uri.user, replaces };
    } catch {
      transaction.respond(createResponse(request, 400, { reason: 'Bad Refer-To' }));
      return;
    }
    const transferee = call.other(leg);
    if (transferee?.state !== 'answered') {
      transaction.respond(createResponse(request, 603, { reason: 'Nobody To Transfer' }));
      return;
    }
    transaction.respond(createResponse(request, 202));
    void this.notifyRefer(leg, 100, 'Trying', false);
    const work = target.replaces
      ? this.attendedTransfer(call, leg, transferee, target.replaces)
      : this.blindTransfer(call, leg, transferee, target.user);
    work.catch((error: unknown) => {
      this.o.logger.error({ err: error }, 'transfer failed');
      void this.notifyRefer(leg, 500, 'Server Internal Error', true);
    });
  }

  private async blindTransfer(call: Call, referrer: Leg, transferee: Leg, extension: string): Promise<void> {
    const outcome = await this.callOut(
      call,
      transferee,
      extension,
      () => void this.notifyRefer(referrer, 180, 'Ringing', false),
    );
    if (outcome.kind === 'failed') {
      await this.notifyRefer(referrer, outcome.status, outcome.reason, true);
      return;
    }
    await this.unbridge(call);
    await this.o.media.stopPlayback(transferee.endpoint.id).catch(() => undefined);
    // The call goes on between the transferee and the new party; the referrer leaves.
    this.detachLeg(referrer);
    if (call.a === referrer) call.a = outcome.leg;
    else call.b = outcome.leg;
    await this.bridge(call);
    await this.notifyRefer(referrer, 200, 'OK', true);
    await this.sendBye(referrer);
    await this.o.media.closeEndpoint(referrer.endpoint.id).catch(() => undefined);
    await referrer.webrtc?.close();
  }

  /** `Replaces: callid;to-tag=…;from-tag=…` names the referrer's consultation dialog (RFC 3891 §3). */
  private async attendedTransfer(
    call: Call,
    referrer: Leg,
    transferee: Leg,
    replaces: string,
  ): Promise<void> {
    const [callId, ...params] = replaces.split(';');
    const tags = new Map(params.map((p) => p.split('=') as [string, string]));
    const toTag = tags.get('to-tag');
    const fromTag = tags.get('from-tag');
    let consultation: { call: Call; leg: Leg } | undefined;
    for (const entry of this.byDialog.values()) {
      const id = entry.leg.dialog?.id;
      if (!id || id.callId !== callId || entry.call === call) continue;
      const ours = new Set([id.localTag, id.remoteTag]);
      if (toTag && fromTag && ours.has(toTag) && ours.has(fromTag)) consultation = entry;
    }
    if (!consultation) {
      await this.notifyRefer(referrer, 481, 'Call/Transaction Does Not Exist', true);
      return;
    }
    const other = consultation.call.other(consultation.leg);
    if (other?.state !== 'answered') {
      await this.notifyRefer(referrer, 487, 'Request Terminated', true);
      return;
    }
    // Join the transferee with the consulted party: both calls lose the referrer's legs.
    await this.unbridge(call);
    await this.unbridge(consultation.call);
    await this.o.media.stopPlayback(transferee.endpoint.id).catch(() => undefined);
    this.detachLeg(referrer);
    this.detachLeg(consultation.leg);
    this.detachLeg(other);
    if (call.a === referrer) call.a = other;
    else call.b = other;
    this.byDialog.set(other.dialog!.key, { call, leg: other });
    this.byEndpoint.set(other.endpoint.id, { call, leg: other });
    await this.bridge(call);
    await this.notifyRefer(referrer, 200, 'OK', true);
    await this.sendBye(referrer);
    await this.sendBye(consultation.leg);
    await this.o.media.closeEndpoint(referrer.endpoint.id).catch(() => undefined);
    await this.o.media.closeEndpoint(consultation.leg.endpoint.id).catch(() => undefined);
    await referrer.webrtc?.close();
    await consultation.leg.webrtc?.close();
    // The consultation call is over: its remaining leg now belongs to the transferred call.
    consultation.call.ended = true;
    this.calls.delete(consultation.call);
    await this.o.records.ended(consultation.call.record, 'answered', 'caller');
    this.o.publish('call.ended', consultation.call.record);
  }

  /** Forgets a leg's dialog and endpoint routing (it leaves its call). */
  private detachLeg(leg: Leg): void {
    if (leg.dialog) this.byDialog.delete(leg.dialog.key);
    this.byEndpoint.delete(leg.endpoint.id);
  }

  /** RFC 3515 §2.4.5: a NOTIFY with the transfer's progress as a message/sipfrag status line. */
  private async notifyRefer(referrer: Leg, status: number, reason: string, final: boolean): Promise<void> {
    if (!referrer.dialog || referrer.state === 'ended') return;
    const notify = referrer.dialog.createRequest('NOTIFY', {
      via: viaFor(this.o.server, referrer.flow),
      contact: parseNameAddr(`<${contactFor(this.o.server, referrer.flow)}>`, 'Contact'),
      headers: [
        ['Event', 'refer'],
        ['Subscription-State', final ? 'terminated;reason=noresource' : 'active;expires=60'],
      ],
      body: `SIP/2.0 ${status} ${reason}\r\n`,
      contentType: 'message/sipfrag;version=2.0',
    });
    await sendRequest(this.o.server, notify, referrer.flow);
  }

  /** SIP INFO DTMF (application/dtmf-relay: `Signal=5`), for phones that do not send RFC 4733. */
  private infoDtmf(call: Call, leg: Leg, request: SipRequest): void {
    const type = request.headers.get('content-type') ?? '';
    if (!/dtmf/i.test(type)) return;
    const match = /Signal\s*=\s*([0-9*#A-D])/i.exec(request.body.toString('utf8'));
    if (match) this.onDigit(call, leg, match[1]!.toUpperCase(), 'info');
  }

  /** A key from the caller reaches the call's application; keys in a call between people are the phones' business. */
  private onDigit(call: Call, leg: Leg, digit: string, source: DtmfSource): void {
    if (leg !== call.a || call.ended) return;
    call.app?.digit(digit, source);
  }

  // ---- contact-center operations: connect a parked caller, third parties, end ----------------

  /** The call in progress with this call record id. */
  private live(callId: string): Call {
    for (const call of this.calls) if (call.record.id === callId && !call.ended) return call;
    throw new CallError('CALL_NOT_FOUND', `no call ${callId} in progress`);
  }

  /** Calls in progress, for the supervisor's live list. */
  list(): LiveCall[] {
    return [...this.calls].map((call) => ({
      id: call.record.id,
      caller: call.record.caller,
      callee: call.record.callee,
      route: call.record.route,
      startedAt: call.record.startedAt,
      answeredAt: call.record.answeredAt,
      interactionId: call.record.interactionId,
      connectedTo: call.b?.state === 'answered' ? call.b.party : null,
      ringing: call.pending?.party ?? null,
      joined: [...call.joined]
        .filter(([leg]) => leg.state === 'answered')
        .map(([leg, mode]) => ({ party: leg.party, mode })),
    }));
  }

  /**
   * Rings `extension` for an answered call an application parked (a caller waiting in a queue)
   * and, when it answers, stops the hold music and bridges the two; the caller's recording goes
   * on with the agent on its right channel. A ring that fails leaves the caller parked. `headers`
   * go on the INVITE (the agent desktop matches `X-Teller-Interaction` with its offer).
   */
  async connect(
    callId: string,
    extension: string,
    options: { headers?: readonly [string, string][]; onRinging?: () => void } = {},
  ): Promise<RingOutcome> {
    const call = this.live(callId);
    if (call.b || call.pending) {
      throw new CallError('CALL_BUSY', `call ${callId} is already connected or ringing someone`);
    }
    const outcome = await this.ring(call, extension, options.onRinging, options.headers);
    if (outcome.kind === 'failed') return outcome;
    call.b = outcome.leg;
    await this.o.media.stopPlayback(call.a.endpoint.id).catch(() => undefined);
    await this.bridge(call);
    return { kind: 'answered' };
  }

  /**
   * A callback: rings the agent's `extension` first (with `headers`, from the customer's number
   * so the phone shows who will be called); once the agent answers and `agentAnswered` says to go
   * on, dials the customer's `number` (a registered extension, or through the outbound trunk)
   * from `callerId`, and when the customer answers bridges and records them like an inbound call:
   * the customer on the recording's left, the agent on its right. `started` gets the call record
   * id as soon as there is one (to cancel the ring). The agent hanging up first ends it all.
   */
  async callBack(o: {
    extension: string;
    number: string;
    callerId: string;
    headers?: readonly [string, string][];
    interactionId?: string;
    started?(callId: string): void;
    agentAnswered?(): boolean | Promise<boolean>;
  }): Promise<
    | { kind: 'connected'; callId: string }
    | {
        kind: 'agent-failed' | 'customer-failed';
        callId: string;
        status: number;
        reason: string;
        disposition: Disposition;
      }
  > {
    const built = await this.newLeg(o.extension, undefined, o.number, o.headers ?? []);
    if (built.kind === 'failed') {
      const { status, reason, disposition } = built;
      return { kind: 'agent-failed', callId: '', status, reason, disposition };
    }
    const agent = built.leg;
    const record = await this.o.records.start({
      sipCallId: getCallId(agent.invite),
      caller: o.extension,
      callee: o.number,
      route: 'callback',
    });
    if (o.interactionId) await this.o.records.linkInteraction(record, o.interactionId);
    const call = new Call(agent, record, { kind: 'callback' });
    this.calls.add(call);
    this.o.publish('call.started', record);
    o.started?.(record.id);
    const agentLeft = {
      kind: 'failed',
      status: 487,
      reason: 'Agent Left',
      disposition: 'cancelled',
      endedBy: 'caller',
    } as const;
    const failed = async (
      kind: 'agent-failed' | 'customer-failed',
      outcome: Extract<LegOutcome, { kind: 'failed' }>,
    ) => {
      const agentAnswered = agent.state === 'answered';
      if (agentAnswered) await this.sendBye(agent).catch(() => undefined);
      if (!agentAnswered && !call.ended) {
        // Nothing was answered: the agent's endpoint is closed already, only the record ends.
        call.ended = true;
        this.calls.delete(call);
        await this.o.records.ended(record, outcome.disposition, outcome.endedBy);
        this.o.publish('call.ended', record);
      } else {
        await this.endCall(call, outcome.disposition, outcome.endedBy);
      }
      const { status, reason, disposition } = outcome;
      return { kind, callId: record.id, status, reason, disposition };
    };
    const rung = await this.sendLeg(call, agent, () => undefined);
    if (rung.kind === 'failed') return failed('agent-failed', rung);
    const goOn = o.agentAnswered ? await o.agentAnswered() : true;
    if (!goOn) return failed('agent-failed', { ...agentLeft, reason: 'Offer Withdrawn', endedBy: 'system' });
    if (call.ended) return failed('customer-failed', agentLeft);
    const customer = await this.callOut(call, agent, o.number, () => undefined, [], o.callerId);
    if (customer.kind === 'failed') return failed('customer-failed', customer);
    if (call.ended) {
      await this.dropLeg(customer.leg);
      return failed('customer-failed', agentLeft);
    }
    // The customer is the call's first party from here on, as on an inbound call.
    call.a = customer.leg;
    call.b = agent;
    const recording = path.join(this.o.recordingsDir, `${record.id}.wav`);
    call.recordingId = await this.o.media.record(customer.leg.endpoint.id, { path: recording });
    await this.o.records.answered(record, recording);
    await this.bridge(call);
    this.o.publish('call.answered', record);
    return { kind: 'connected', callId: record.id };
  }

  /** Stops ringing someone for the call (the ACD took its offer back); the caller stays where they were. */
  cancelRinging(callId: string): void {
    for (const call of this.calls) if (call.record.id === callId) call.pending?.cancel?.();
  }

  /**
   * Takes the connected party (the agent) off the call and parks the caller on hold music again,
   * for a transfer to a queue: the agent's leg and any third parties get BYE; the call, its record
   * and its recording go on. Returns the party that left.
   */
  async detachAgent(callId: string): Promise<string> {
    const call = this.live(callId);
    const agent = call.b;
    if (agent?.state !== 'answered') throw new CallError('CALL_BUSY', `call ${callId} has nobody connected`);
    for (const leg of [...call.joined.keys()]) await this.drop(call, leg);
    await this.unbridge(call);
    call.b = undefined;
    call.agentAside = false;
    await this.dropLeg(agent);
    await this.o.media.play(call.a.endpoint.id, { file: this.o.holdMusic }, { loop: true });
    return agent.party;
  }

  /**
   * Sets the connected party aside: they hear hold music, third parties hear nothing, and the
   * caller's leg is the application's again (its prompts and the caller's keys), for an IVR step
   * the agent must not hear, such as keying a PIN. The recording goes on (the application pauses
   * it for secrets). `resumeAgent` brings everyone back together.
   */
  async setAgentAside(callId: string): Promise<void> {
    const call = this.live(callId);
    const agent = call.b;
    if (agent?.state !== 'answered') throw new CallError('CALL_BUSY', `call ${callId} has nobody connected`);
    if (!call.app)
      throw new CallError('CALL_BUSY', `call ${callId} has no application to hand the caller to`);
    if (call.agentAside) throw new CallError('CALL_BUSY', `call ${callId} already has its agent set aside`);
    call.agentAside = true;
    await this.unbridge(call);
    await this.o.media.play(agent.endpoint.id, { file: this.o.holdMusic }, { loop: true });
  }

  /** Ends `setAgentAside`: the application's playback and the agent's music stop, the mix is back. */
  async resumeAgent(callId: string): Promise<void> {
    const call = this.live(callId);
    if (!call.agentAside) return;
    call.agentAside = false;
    await this.o.media.stopPlayback(call.a.endpoint.id).catch(() => undefined);
    if (call.b?.state === 'answered') {
      await this.o.media.stopPlayback(call.b.endpoint.id).catch(() => undefined);
      await this.bridge(call);
    }
  }

  /**
   * Brings a third party into a connected call: rings `extension` and mixes it in as `mode`. A
   * party already in the call changes mode at once (a supervisor going from listen to whisper to
   * barge); `leave` takes one out.
   */
  async join(
    callId: string,
    extension: string,
    mode: JoinMode,
    options: { headers?: readonly [string, string][] } = {},
  ): Promise<RingOutcome> {
    const call = this.live(callId);
    if (call.b?.state !== 'answered') {
      throw new CallError('CALL_BUSY', `call ${callId} has nobody connected to join`);
    }
    for (const [leg, current] of call.joined) {
      if (leg.party !== extension || leg.state !== 'answered') continue;
      if (current !== mode) {
        call.joined.set(leg, mode);
        if (call.mixId) await this.o.media.updateMix(call.mixId, { set: [this.memberOf(call, leg, mode)] });
      }
      return { kind: 'answered' };
    }
    if (call.pending) throw new CallError('CALL_BUSY', `call ${callId} is ringing someone already`);
    const outcome = await this.ring(call, extension, undefined, options.headers);
    if (outcome.kind === 'failed') return outcome;
    call.joined.set(outcome.leg, mode);
    // On hold there is no mix: `bridge` brings the third party in on resume.
    if (call.mixId) {
      await this.o.media.updateMix(call.mixId, { add: [this.memberOf(call, outcome.leg, mode)] });
    }
    return { kind: 'answered' };
  }

  /** Takes a third party out of the call with BYE (a supervisor stops monitoring). */
  async leave(callId: string, extension: string): Promise<void> {
    const call = this.live(callId);
    const leg = [...call.joined.keys()].find((l) => l.party === extension);
    if (!leg) throw new CallError('CALL_NOT_FOUND', `${extension} is not in call ${callId}`);
    await this.drop(call, leg);
  }

  /** Ends a call from Teller's side (the agent ended the contact on the desktop): BYE to every leg. */
  async end(callId: string): Promise<void> {
    const call = this.live(callId);
    await this.hangUp(call, call.a, 'answered', 'callee');
  }

  /** `callOut` beside the caller's media; an answer that comes after the call ended is hung up again. */
  private async ring(
    call: Call,
    extension: string,
    onRinging: () => void = () => undefined,
    headers: readonly [string, string][] = [],
  ): Promise<Extract<RingOutcome, { kind: 'failed' }> | { kind: 'answered'; leg: Leg }> {
    const outcome = await this.callOut(call, call.a, extension, onRinging, headers);
    if (outcome.kind === 'failed') {
      const { status, reason, disposition } = outcome;
      return { kind: 'failed', status, reason, disposition };
    }
    if (call.ended) {
      await this.dropLeg(outcome.leg);
      return { kind: 'failed', status: 487, reason: 'Request Terminated', disposition: 'cancelled' };
    }
    return outcome;
  }

  /** A third party leaves: out of the mix, BYE unless they hung up themselves, endpoint closed. */
  private async drop(call: Call, leg: Leg): Promise<void> {
    if (!call.joined.delete(leg)) return;
    if (call.mixId) {
      await this.o.media
        .updateMix(call.mixId, { remove: [leg.endpoint.id] })
        .catch((error: unknown) =>
          this.o.logger.warn({ err: error }, 'third party not taken out of the mix'),
        );
    }
    await this.dropLeg(leg);
  }

  /** Hangs up a leg that is leaving its call and frees its media. */
  private async dropLeg(leg: Leg): Promise<void> {
    this.detachLeg(leg);
    await this.sendBye(leg).catch((error: unknown) => this.o.logger.warn({ err: error }, 'BYE not sent'));
    await this.o.media.closeEndpoint(leg.endpoint.id).catch(() => undefined);
    await leg.webrtc?.close();
  }

  // ---- ending calls ------------------------------------------------------------------------

  private async sendBye(leg: Leg): Promise<void> {
    if (!leg.dialog || leg.state === 'ended') return;
    leg.state = 'ended';
    const bye = leg.dialog.createRequest('BYE', { via: viaFor(this.o.server, leg.flow) });
    await sendRequest(this.o.server, bye, leg.flow);
  }

  /** `leg` hung up (or failed): end the other leg too, then the call. */
  private async hangUp(
    call: Call,
    leg: Leg,
    disposition: Disposition,
    endedBy: CallRecord['endedBy'],
    byeReceived = false,
  ): Promise<void> {
    if (call.ended) return;
    if (byeReceived) leg.state = 'ended';
    else await this.sendBye(leg);
    const other = call.other(leg);
    if (other?.state === 'answered') await this.sendBye(other);
    for (const joined of call.joined.keys()) if (joined.state === 'answered') await this.sendBye(joined);
    call.pending?.cancel?.();
    await this.endCall(call, call.record.answeredAt ? 'answered' : disposition, endedBy);
  }

  /**
   * Media counters of every answered leg of the calls in progress: the media engine endpoint's,
   * and for a browser's leg the WebRTC gateway leg's too (for operations and tests).
   */
  async legMedia(): Promise<
    {
      callId: string;
      party: string;
      role: 'uas' | 'uac';
      /** How a third party takes part (supervisor, conference member); null for the caller and the callee. */
      joined: JoinMode | null;
      endpoint: EndpointStats;
      webrtc: WebRtcLegStats | undefined;
    }[]
  > {
    const out = [];
    for (const call of this.calls) {
      for (const leg of [call.a, call.b, ...call.joined.keys()]) {
        if (leg?.state !== 'answered') continue;
        const endpoint = await this.o.media.stats(leg.endpoint.id).catch(() => undefined);
        if (!endpoint) continue;
        out.push({
          callId: call.record.id,
          party: leg.party,
          role: leg.role,
          joined: call.joined.get(leg) ?? null,
          endpoint,
          webrtc: leg.webrtc?.stats(),
        });
      }
    }
    return out;
  }

  /** Hangs up every call (at shutdown). */
  async hangUpAll(): Promise<void> {
    await Promise.all([...this.calls].map((call) => this.hangUp(call, call.a, 'failed', 'system')));
  }

  private async endCall(call: Call, disposition: Disposition, endedBy: CallRecord['endedBy']): Promise<void> {
    if (call.ended) return;
    call.ended = true;
    this.calls.delete(call);
    for (const leg of [call.a, call.b]) {
      if (!leg) continue;
      leg.ackWait?.acknowledged();
      if (leg.dialog) this.byDialog.delete(leg.dialog.key);
      this.byEndpoint.delete(leg.endpoint.id);
    }
    const media = this.o.media;
    const quietly = (work: Promise<unknown>) =>
      work.catch((error: unknown) => this.o.logger.warn({ err: error }, 'media cleanup'));
    if (call.recordingId) await quietly(media.stopRecording(call.recordingId));
    await quietly(this.unbridge(call));
    await quietly(media.closeEndpoint(call.a.endpoint.id));
    await quietly(call.a.webrtc?.close() ?? Promise.resolve());
    if (call.b) await quietly(media.closeEndpoint(call.b.endpoint.id));
    await quietly(call.b?.webrtc?.close() ?? Promise.resolve());
    for (const leg of call.joined.keys()) {
      if (leg.dialog) this.byDialog.delete(leg.dialog.key);
      this.byEndpoint.delete(leg.endpoint.id);
      await quietly(media.closeEndpoint(leg.endpoint.id));
      await quietly(leg.webrtc?.close() ?? Promise.resolve());
    }
    call.joined.clear();
    if (call.pending) this.byEndpoint.delete(call.pending.endpoint.id);
    await this.o.records.ended(call.record, disposition, endedBy);
    this.o.publish('call.ended', call.record);
    call.app?.ended(appEnd(endedBy));
  }
}

function appEnd(endedBy: CallRecord['endedBy']): AppCallEnd {
  if (endedBy === 'caller') return 'caller';
  return endedBy === 'callee' ? 'application' : 'system';
}

/**
 * The number a call comes from. A registered user calls as their extension. A trusted trunk
 * asserts the caller's identity in P-Asserted-Identity (RFC 3325 §9.1), which a network of
 * trust puts above the From header; without it, the From URI's user part.
 */
function callingNumber(request: SipRequest, caller: SipIdentity): string {
  if (caller.kind === 'user') return caller.extension;
  const asserted = request.headers.get('p-asserted-identity');
  if (asserted) {
    try {
      // The header may list a sip: and a tel: identity (§9.1); the first one names the caller.
      const first = parseNameAddr(asserted.split(',')[0]!.trim(), 'P-Asserted-Identity').uri;
      const user = first.type === 'sip' ? first.user : first.type === 'tel' ? first.number : undefined;
      if (user) return user;
    } catch {
      // An unparseable assertion is ignored: the From header still says who calls.
    }
  }
  return (getFrom(request).uri as { user?: string }).user ?? 'trunk';
}
