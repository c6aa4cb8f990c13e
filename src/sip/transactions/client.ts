/**
 * The client transactions of RFC 3261 §17.1: one for INVITE (§17.1.1, with the Accepted state of
 * RFC 6026) and one for every other method (§17.1.2). They send the request, retransmit it over
 * unreliable transports, pass responses to their user, and time out.
 */
import type { SipRequest, SipResponse } from '../message';
import { createNon2xxAck } from './builders';
import { TIMER_D_UNRELIABLE } from './timers';
import { Transaction, type TransactionContext } from './transaction';

/** What a client transaction tells the one who sent the request (the UAC core or a dialog). */
export interface ClientTransactionUser {
  /** Each response passed up: provisionals, the final, and for INVITE every 2xx (RFC 6026). */
  onResponse(response: SipResponse): void;
  /** Timer B or F fired without a final response; §8.1.3.1 treats this as a 408. */
  onTimeout(): void;
  /** The transport could not send; §8.1.3.1 treats this as a 503. */
  onTransportError(error: unknown): void;
}

export const inviteClientStates = ['calling', 'proceeding', 'accepted', 'completed', 'terminated'] as const;
export type InviteClientState = (typeof inviteClientStates)[number];

/**
 * INVITE client transaction (RFC 3261 §17.1.1, Figure 5, as amended by RFC 6026 §7.2):
 *
 *                      |INVITE sent, Timer A (unreliable), Timer B
 *                      V
 *     Timer A:      +-----------+
 *     resend  +-----|  Calling  |-------------+ Timer B / transport error
 *             +---->+-----------+             |
 *         1xx        |    |  2xx              |
 *       +------------+    +---------+         |
 *       V                           V         |
 *  +------------+  2xx        +-----------+   |
 *  | Proceeding |------------>| Accepted  |   |  2xx: to TU; Timer M
 *  +------------+             +-----------+   |
 *     | 300-699 (also from Calling)  | Timer M |
 *     | send ACK, to TU; Timer D     V         |
 *     V                        +-----------+   |
 *  +------------+  Timer D     |Terminated |<--+
 *  | Completed  |------------->|           |
 *  +------------+              +-----------+
 *   300-699: resend ACK
 */
export class InviteClientTransaction extends Transaction<InviteClientState> {
  private intervalA: number;

  constructor(
    id: string,
    context: TransactionContext,
    readonly request: SipRequest,
    private readonly user: ClientTransactionUser,
  ) {
    super(id, context, 'calling', {
      calling: ['proceeding', 'accepted', 'completed', 'terminated'],
      proceeding: ['accepted', 'completed', 'terminated'],
      accepted: ['terminated'],
      completed: ['terminated'],
      terminated: [],
    });
    this.intervalA = context.timers.t1;
  }

  /** Sends the INVITE and starts timers A (unreliable transports only) and B. */
  start(): void {
    this.send(this.request);
    if (this.state === 'terminated') return;
    if (!this.reliable) this.startTimer('A', this.intervalA, () => this.timerA());
    this.startTimer('B', 64 * this.context.timers.t1, () => this.timerB());
  }

  private timerA(): void {
    if (this.state !== 'calling') return;
    // §17.1.1.2: "the client transaction MUST retransmit the request ... and reset the timer with
    // a value of 2*T1", doubling each time; no T2 cap for INVITE.
    this.send(this.request);
    this.intervalA *= 2;
    this.startTimer('A', this.intervalA, () => this.timerA());
  }

  private timerB(): void {
    if (this.state !== 'calling') return;
    this.transition('terminated');
    this.safely('onTimeout', () => this.user.onTimeout());
  }

  receiveResponse(response: SipResponse): void {
    const status = response.status;
    switch (this.state) {
      case 'calling':
      case 'proceeding':
        this.stopTimer('A');
        this.stopTimer('B');
        if (status < 200) {
          this.transition('proceeding');
        } else if (status < 300) {
          // RFC 6026 §7.2: Accepted absorbs nothing; every 2xx goes to the TU, which sends the ACK.
          this.transition('accepted');
          this.startTimer('M', 64 * this.context.timers.t1, () => this.transition('terminated'));
        } else {
          this.transition('completed');
          if (!this.reliable) this.startTimer('D', TIMER_D_UNRELIABLE, () => this.transition('terminated'));
          this.send(createNon2xxAck(this.request, response));
          // Timer D is zero over a reliable transport (§17.1.1.2).
          if (this.reliable) this.transition('terminated');
        }
        this.safely('onResponse', () => this.user.onResponse(response));
        return;
      case 'accepted':
        // RFC 6026 §7.2: retransmitted or forked 2xx responses go up; anything else is dropped.
        if (status >= 200 && status < 300) this.safely('onResponse', () => this.user.onResponse(response));
        return;
      case 'completed':
        // §17.1.1.2: "Any retransmissions of the final response that are received while in the
        // Completed state MUST cause the ACK to be re-passed to the transport layer".
        if (status >= 300) this.send(createNon2xxAck(this.request, response));
        return;
      case 'terminated':
        return;
    }
  }

  protected onTransportError(error: unknown): void {
    this.safely('onTransportError', () => this.user.onTransportError(error));
  }
}

export const nonInviteClientStates = ['trying', 'proceeding', 'completed', 'terminated'] as const;
export type NonInviteClientState = (typeof nonInviteClientStates)[number];

/**
 * Non-INVITE client transaction (RFC 3261 §17.1.2, Figure 6):
 *
 *                    |Request sent, Timer E (unreliable), Timer F
 *                    V
 *  Timer E:     +-----------+  Timer F / transport error
 *  resend +-----|  Trying   |--------------------+
 *         +---->+-----------+                    |
 *               1xx |   | 200-699: to TU          |
 *                   V   +------------+            |
 *  Timer E: +-----------+            |            |
 *  resend   | Proceeding|--200-699-->|            |
 *           +-----------+            V            V
 *                             +-----------+  +-----------+
 *                             | Completed |->|Terminated |  Timer K
 *                             +-----------+  +-----------+
 */
export class NonInviteClientTransaction extends Transaction<NonInviteClientState> {
  private intervalE: number;

  constructor(
    id: string,
    context: TransactionContext,
    readonly request: SipRequest,
    private readonly user: ClientTransactionUser,
  ) {
    super(id, context, 'trying', {
      trying: ['proceeding', 'completed', 'terminated'],
      proceeding: ['completed', 'terminated'],
      completed: ['terminated'],
      terminated: [],
    });
    this.intervalE = context.timers.t1;
  }

  start(): void {
    this.send(this.request);
    if (this.state === 'terminated') return;
    if (!this.reliable) this.startTimer('E', this.intervalE, () => this.timerE());
    this.startTimer('F', 64 * this.context.timers.t1, () => this.timerF());
  }

  private timerE(): void {
    if (this.state !== 'trying' && this.state !== 'proceeding') return;
    this.send(this.request);
    // §17.1.2.2: in Trying the interval doubles up to T2; in Proceeding it is T2.
    this.intervalE =
      this.state === 'trying' ? Math.min(2 * this.intervalE, this.context.timers.t2) : this.context.timers.t2;
    this.startTimer('E', this.intervalE, () => this.timerE());
  }

  private timerF(): void {
    if (this.state !== 'trying' && this.state !== 'proceeding') return;
    this.transition('terminated');
    this.safely('onTimeout', () => this.user.onTimeout());
  }

  receiveResponse(response: SipResponse): void {
    if (this.state !== 'trying' && this.state !== 'proceeding') return; // Completed absorbs retransmissions.
    if (response.status < 200) {
      this.transition('proceeding');
    } else {
      this.stopTimer('E');
      this.stopTimer('F');
      this.transition('completed');
      if (this.reliable) this.transition('terminated');
      else this.startTimer('K', this.context.timers.t4, () => this.transition('terminated'));
    }
    this.safely('onResponse', () => this.user.onResponse(response));
  }

  protected onTransportError(error: unknown): void {
    this.safely('onTransportError', () => this.user.onTransportError(error));
  }
}
