/**
 * The agent's browser phone: SIP over WebSocket (RFC 7118) to Teller's `/sip` on the page's own
 * origin, registered as the agent's extension, with WebRTC audio. It wraps SIP.js's
 * SessionManager and keeps one small snapshot (registration, calls, hold, mute) that React
 * renders from. The password lives only in this object, in memory.
 *
 *   disconnected ──start──► connecting ──REGISTER 200──► registered ──stop──► disconnected
 *                               │  └── 401/403, socket refused ──► failed
 *                               └──────── socket lost ──► connecting (SIP.js reconnects)
 */
import { Invitation, type Session, SessionState, Web } from 'sip.js';
import { onlyMd5Challenges } from './digest';

export type PhoneStatus = 'disconnected' | 'connecting' | 'registered' | 'failed';

export interface PhoneCall {
  /** SIP.js session id. */
  id: string;
  direction: 'incoming' | 'outgoing';
  /** Who is on the other end (the user part of the remote URI, or its display name). */
  remote: string;
  state: 'ringing' | 'connecting' | 'established' | 'ended';
  held: boolean;
  muted: boolean;
  /** A consultation call placed while the customer waits on hold. */
  consult: boolean;
  /** Headers Teller may put on the INVITE to tie the call to its contact. */
  interactionId: string | null;
  /** For a supervisor's phone rung into a call (X-Teller-Supervise): that call's id. */
  supervisedCallId: string | null;
}

export interface PhoneSnapshot {
  status: PhoneStatus;
  error: string | null;
  calls: PhoneCall[];
}

export interface SoftphoneOptions {
  /** ws(s)://host/sip */
  server: string;
  /** The host part of SIP URIs (Teller is one domain; the registrar keys by extension). */
  domain: string;
  extension: string;
  password: string;
  /** Where the other party is heard. */
  audio: HTMLAudioElement;
}

/** SIP.js's WebSocket transport, handing SIP.js only the digest challenges it can answer (digest.ts). */
class TellerTransport extends Web.Transport {
  constructor(...args: ConstructorParameters<typeof Web.Transport>) {
    super(...args);
    let handler: ((message: string) => void) | undefined;
    // SIP.js assigns transport.onMessage after construction; wrap whatever it assigns.
    Object.defineProperty(this, 'onMessage', {
      configurable: true,
      get: () => handler,
      set: (next: ((message: string) => void) | undefined) => {
        handler = next ? (message: string) => next(onlyMd5Challenges(message)) : undefined;
      },
    });
  }
}

type Listener = (snapshot: PhoneSnapshot) => void;

export class Softphone {
  private readonly manager: Web.SessionManager;
  private readonly sessions = new Map<string, { session: Session; call: PhoneCall }>();
  private readonly listeners = new Set<Listener>();
  private state: PhoneSnapshot = { status: 'disconnected', error: null, calls: [] };

  constructor(private readonly options: SoftphoneOptions) {
    const aor = `sip:${options.extension}@${options.domain}`;
    this.manager = new Web.SessionManager(options.server, {
      aor,
      media: { constraints: { audio: true, video: false }, remote: { audio: options.audio } },
      maxSimultaneousSessions: 2,
      reconnectionAttempts: 5,
      reconnectionDelay: 3,
      registrationRetry: true,
      registrationRetryInterval: 10,
      sendDTMFUsingSessionDescriptionHandler: false,
      registererRegisterOptions: {
        requestDelegate: {
          onReject: (response) => {
            const { statusCode, reasonPhrase } = response.message;
            this.update({ status: 'failed', error: `REGISTER ${statusCode} ${reasonPhrase}` });
          },
        },
      },
      userAgentOptions: {
        transportConstructor: TellerTransport,
        authorizationUsername: options.extension,
        authorizationPassword: options.password,
        displayName: options.extension,
        // localStorage teller.sipDebug = '1' prints SIP.js's own log in the browser console.
        logBuiltinEnabled: localStorage.getItem('teller.sipDebug') === '1',
        sessionDescriptionHandlerFactoryOptions: {
          // Loopback and LAN: no STUN/TURN needed (Teller terminates the media itself).
          peerConnectionConfiguration: { iceServers: [] },
          iceGatheringTimeout: 500,
        },
      },
      delegate: {
        onServerConnect: () => this.update({ status: 'connecting', error: null }),
        onServerDisconnect: (error) =>
          this.update({ status: 'connecting', error: error ? error.message : null }),
        onRegistered: () => this.update({ status: 'registered', error: null }),
        onUnregistered: () => {
          if (this.state.status === 'registered') this.update({ status: 'connecting' });
        },
        // Called for every new session, ours and the network's (before onCallReceived).
        onCallCreated: (session) => {
          if (session instanceof Invitation) this.track(session, 'incoming', false);
          else this.track(session, 'outgoing', this.pendingConsult);
        },
        // Without this handler SessionManager rejects every incoming call with 480; the call
        // is already tracked (onCallCreated) and rings until the agent answers or declines.
        onCallReceived: () => undefined,
        onCallAnswered: (session) => this.patch(session.id, { state: 'established' }),
        onCallHangup: (session) => this.untrack(session.id),
        onCallHold: (session, held) => this.patch(session.id, { held }),
      },
    });
  }

  private pendingConsult = false;

  get snapshot(): PhoneSnapshot {
    return this.state;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    listener(this.state);
    return () => this.listeners.delete(listener);
  }

  private update(change: Partial<PhoneSnapshot>): void {
    this.state = { ...this.state, ...change };
    for (const listener of this.listeners) listener(this.state);
  }

  private publishCalls(): void {
    this.update({ calls: [...this.sessions.values()].map((s) => s.call) });
  }

  private track(session: Session, direction: PhoneCall['direction'], consult: boolean): void {
    const remote = session.remoteIdentity;
    const call: PhoneCall = {
      id: session.id,
      direction,
      remote: remote.displayName || remote.uri.user || remote.uri.toString(),
      state: direction === 'incoming' ? 'ringing' : 'connecting',
      held: false,
      muted: false,
      consult,
      interactionId:
        session instanceof Invitation ? (session.request.getHeader('X-Teller-Interaction') ?? null) : null,
      supervisedCallId:
        session instanceof Invitation
          ? (session.request.getHeader('X-Teller-Supervise')?.split(';')[0] ?? null)
          : null,
    };
    this.sessions.set(session.id, { session, call });
    session.stateChange.addListener((state) => {
      if (state === SessionState.Established) this.patch(session.id, { state: 'established' });
      if (state === SessionState.Terminated) this.untrack(session.id);
    });
    this.publishCalls();
  }

  private patch(id: string, change: Partial<PhoneCall>): void {
    const entry = this.sessions.get(id);
    if (!entry) return;
    entry.call = { ...entry.call, ...change };
    this.publishCalls();
  }

  private untrack(id: string): void {
    if (!this.sessions.delete(id)) return;
    this.publishCalls();
  }

  private main(): Session | undefined {
    for (const { session, call } of this.sessions.values()) if (!call.consult) return session;
    return undefined;
  }

  private consultSession(): Session | undefined {
    for (const { session, call } of this.sessions.values()) if (call.consult) return session;
    return undefined;
  }

  private uri(target: string): string {
    return target.startsWith('sip:') ? target : `sip:${target}@${this.options.domain}`;
  }

  /** Connects the WebSocket and registers; resolves once the REGISTER is sent. */
  async start(): Promise<void> {
    this.update({ status: 'connecting', error: null });
    try {
      await this.manager.connect();
      await this.manager.register();
    } catch (error) {
      this.update({ status: 'failed', error: error instanceof Error ? error.message : String(error) });
      throw error;
    }
  }

  async stop(): Promise<void> {
    try {
      if (this.manager.isConnected()) await this.manager.unregister();
    } finally {
      await this.manager.disconnect();
      this.sessions.clear();
      this.update({ status: 'disconnected', calls: [] });
    }
  }

  /** Answers the call `id`, or the first one ringing. */
  async answer(id?: string): Promise<void> {
    const ringing = [...this.sessions.values()].find(
      (s) => s.call.state === 'ringing' && (id === undefined || s.call.id === id),
    );
    if (!ringing) throw new Error('no call is ringing');
    await this.manager.answer(ringing.session);
  }

  async decline(): Promise<void> {
    const ringing = [...this.sessions.values()].find((s) => s.call.state === 'ringing');
    if (ringing) await this.manager.decline(ringing.session);
  }

  async call(target: string): Promise<void> {
    await this.manager.call(this.uri(target));
  }

  /** Ends the customer call (or, during a consultation, the consultation). */
  async hangUp(): Promise<void> {
    const session = this.consultSession() ?? this.main();
    if (session) await this.manager.hangup(session);
  }

  async hold(on: boolean): Promise<void> {
    const session = this.main();
    if (!session) return;
    await (on ? this.manager.hold(session) : this.manager.unhold(session));
  }

  mute(on: boolean): void {
    const session = this.consultSession() ?? this.main();
    if (!session) return;
    if (on) this.manager.mute(session);
    else this.manager.unmute(session);
    this.patch(session.id, { muted: on });
  }

  /** One key, sent as SIP INFO application/dtmf-relay (Teller also takes RFC 4733). */
  async dtmf(tone: string): Promise<void> {
    const session = this.consultSession() ?? this.main();
    if (!session) throw new Error('no call');
    await this.manager.sendDTMF(session, tone);
  }

  /** Blind transfer: REFER the customer to the target and leave (RFC 3515). */
  async blindTransfer(target: string): Promise<void> {
    const session = this.main();
    if (!session) throw new Error('no call');
    await this.manager.transfer(session, this.uri(target));
  }

  /** Consultative transfer, step 1: the customer on hold, a second call to the target. */
  async consult(target: string): Promise<void> {
    const session = this.main();
    if (!session) throw new Error('no call');
    await this.manager.hold(session);
    this.pendingConsult = true;
    try {
      await this.manager.call(this.uri(target));
    } finally {
      this.pendingConsult = false;
    }
  }

  /** Step 2: REFER with Replaces joins the customer to the consulted party (RFC 3891). */
  async completeTransfer(): Promise<void> {
    const session = this.main();
    const consult = this.consultSession();
    if (!session || !consult) throw new Error('no consultation to complete');
    await this.manager.transfer(session, consult);
  }

  /** Or back to the customer: the consultation ends, the customer comes off hold. */
  async cancelConsult(): Promise<void> {
    const consult = this.consultSession();
    if (consult) await this.manager.hangup(consult);
    const session = this.main();
    if (session) await this.manager.unhold(session);
  }
}
