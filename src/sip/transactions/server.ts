/**
 * The server transactions of RFC 3261 §17.2: one for INVITE (§17.2.1, with the Accepted state of
 * RFC 6026) and one for every other method (§17.2.2). They absorb request retransmissions,
 * resend the last response, retransmit INVITE final responses until the ACK, and time out.
 * The user (UAS core) answers through `respond()`.
 */
import { SipError } from '../errors';
import { createTrying, type SipRequest, type SipResponse } from '../message';
import { TRYING_DELAY } from './timers';
import { Transaction, type TransactionContext } from './transaction';

/** What a server transaction tells the UAS core, beyond the request it was created for. */
export interface ServerTransactionUser {
  /** INVITE only: Timer H fired, no ACK came for the final non-2xx response (§17.2.1). */
  onTimeout?(): void;
  /** A response could not be sent; the transaction is over (§17.2.4). */
  onTransportError?(error: unknown): void;
}

function illegal(transaction: { id: string; state: string }, what: string): SipError {
  return new SipError('SIP_TRANSACTION_STATE', 500, 'Server Internal Error', {
    message: `server transaction ${transaction.id} in ${transaction.state}: ${what}`,
  });
}

export const inviteServerStates = ['proceeding', 'accepted', 'completed', 'confirmed', 'terminated'] as const;
export type InviteServerState = (typeof inviteServerStates)[number];

/**
 * INVITE server transaction (RFC 3261 §17.2.1, Figure 7, as amended by RFC 6026 §7.1):
 *
 *                        |INVITE: to TU; 100 Trying unless the TU answers within 200 ms
 *                        V
 *   INVITE: resend  +-----------+  1xx from TU: send
 *   last 1xx   +----| Proceeding|<---+
 *              +--->+-----------+----+
 *     2xx from TU: send |     | 300-699 from TU: send; Timer G (unreliable), Timer H
 *          Timer L      V     V
 *   2xx from TU: +---------+ +-----------+  INVITE: resend; Timer G: resend, G=min(2G,T2)
 *   send         |Accepted | | Completed |
 *                +---------+ +-----------+
 *          Timer L  |    ACK |        | Timer H: inform TU
 *                   |        V        |
 *                   |  +-----------+  |
 *                   |  | Confirmed |  |   ACK: absorb; Timer I (T4 unreliable, 0 reliable)
 *                   |  +-----------+  |
 *                   V        |Timer I V
 *                   +--> Terminated <-+
 */
export class InviteServerTransaction extends Transaction<InviteServerState> {
  private lastProvisional: SipResponse | undefined;
  private finalResponse: SipResponse | undefined;
  private intervalG: number;

  constructor(
    id: string,
    context: TransactionContext,
    readonly request: SipRequest,
    private readonly user: ServerTransactionUser = {},
  ) {
    super(id, context, 'proceeding', {
      proceeding: ['accepted', 'completed', 'terminated'],
      accepted: ['terminated'],
      completed: ['confirmed', 'terminated'],
      confirmed: ['terminated'],
      terminated: [],
    });
    this.intervalG = context.timers.t1;
    const receivedAt = context.clock.now();
    this.startTimer('Trying', TRYING_DELAY, () => {
      if (this.state === 'proceeding' && !this.lastProvisional)
        this.respond(createTrying(this.request, (this.context.clock.now() - receivedAt) / 1000));
    });
  }

  /** The final response sent, once there is one (for RFC 2543 ACK matching by To tag). */
  get final(): SipResponse | undefined {
    return this.finalResponse;
  }

  /**
   * The last provisional response sent, if any. Its To tag is the one the UAS chose for the
   * early dialog: a 487 after CANCEL must carry the same (§9.2, §12.1.1), or the caller sees a
   * second dialog.
   */
  get provisional(): SipResponse | undefined {
    return this.lastProvisional;
  }

  /** Sends a response from the TU and moves the machine as §17.2.1 and RFC 6026 §7.1 say. */
  respond(response: SipResponse): void {
    const status = response.status;
    switch (this.state) {
      case 'proceeding':
        this.stopTimer('Trying');
        if (status < 200) {
          this.lastProvisional = response;
          this.send(response);
        } else if (status < 300) {
          this.finalResponse = response;
          this.transition('accepted');
          this.startTimer('L', 64 * this.context.timers.t1, () => this.transition('terminated'));
          this.send(response);
        } else {
          this.finalResponse = response;
          this.transition('completed');
          if (!this.reliable) this.startTimer('G', this.intervalG, () => this.timerG());
          this.startTimer('H', 64 * this.context.timers.t1, () => this.timerH());
          this.send(response);
        }
        return;
      case 'accepted':
        // RFC 6026 §7.1: the TU retransmits its 2xx (§13.3.1.4) through the transaction.
        if (status >= 200 && status < 300) {
          this.send(response);
          return;
        }
        throw illegal(this, `cannot send ${status} after a 2xx`);
      default:
        throw illegal(this, `cannot send ${status}`);
    }
  }

  private timerG(): void {
    if (this.state !== 'completed' || !this.finalResponse) return;
    this.send(this.finalResponse);
    this.intervalG = Math.min(2 * this.intervalG, this.context.timers.t2);
    this.startTimer('G', this.intervalG, () => this.timerG());
  }

  private timerH(): void {
    if (this.state !== 'completed') return;
    this.transition('terminated');
    this.safely('onTimeout', () => this.user.onTimeout?.());
  }

  /** A retransmission of the INVITE. */
  receiveRequest(_request: SipRequest): void {
    if (this.state === 'proceeding') {
      if (this.lastProvisional) this.send(this.lastProvisional);
    } else if (this.state === 'completed' && this.finalResponse) {
      this.send(this.finalResponse);
    }
    // Accepted (RFC 6026 §7.1), Confirmed and Terminated absorb it.
  }

  /**
   * An ACK matched to this transaction. Returns true when it was for a 2xx and belongs to the
   * TU (the RFC 2543 case, where the ACK for a 2xx matches the INVITE: RFC 6026 §7.1).
   */
  receiveAck(_ack: SipRequest): boolean {
    if (this.state === 'completed') {
      this.stopTimer('G');
      this.stopTimer('H');
      this.transition('confirmed');
      if (this.reliable) this.transition('terminated');
      else this.startTimer('I', this.context.timers.t4, () => this.transition('terminated'));
      return false;
    }
    return this.state === 'accepted';
  }

  protected onTransportError(error: unknown): void {
    this.safely('onTransportError', () => this.user.onTransportError?.(error));
  }
}

export const nonInviteServerStates = ['trying', 'proceeding', 'completed', 'terminated'] as const;
export type NonInviteServerState = (typeof nonInviteServerStates)[number];

/**
 * Non-INVITE server transaction (RFC 3261 §17.2.2, Figure 8):
 *
 *                   |Request: to TU
 *                   V
 *             +-----------+  request: drop
 *             |  Trying   |
 *             +-----------+
 *     1xx from TU |    | 200-699 from TU: send
 *                 V    |
 *  request:  +-----------+       1xx from TU: send
 *  resend 1xx| Proceeding|
 *            +-----------+
 *     200-699 from TU |  |
 *                     V  V
 *             +-----------+  request: resend final
 *             | Completed |  Timer J (64*T1 unreliable, 0 reliable)
 *             +-----------+
 *                   | Timer J / transport error
 *                   V
 *             +-----------+
 *             |Terminated |
 *             +-----------+
 */
export class NonInviteServerTransaction extends Transaction<NonInviteServerState> {
  private lastResponse: SipResponse | undefined;

  constructor(
    id: string,
    context: TransactionContext,
    readonly request: SipRequest,
    private readonly user: ServerTransactionUser = {},
  ) {
    super(id, context, 'trying', {
      trying: ['proceeding', 'completed', 'terminated'],
      proceeding: ['completed', 'terminated'],
      completed: ['terminated'],
      terminated: [],
    });
  }

  respond(response: SipResponse): void {
    if (this.state !== 'trying' && this.state !== 'proceeding') {
      // §17.2.2: "Any other final responses passed by the TU ... MUST be discarded"; a TU that
      // tries has a bug, so it hears about it.
      throw illegal(this, `cannot send ${response.status}`);
    }
    this.lastResponse = response;
    if (response.status < 200) {
      this.transition('proceeding');
      this.send(response);
      return;
    }
    this.transition('completed');
    if (!this.reliable)
      this.startTimer('J', 64 * this.context.timers.t1, () => this.transition('terminated'));
    this.send(response);
    // Timer J is zero over a reliable transport (§17.2.2).
    if (this.reliable) this.transition('terminated');
  }

  /** A retransmission of the request: dropped in Trying, answered with the last response after. */
  receiveRequest(_request: SipRequest): void {
    if ((this.state === 'proceeding' || this.state === 'completed') && this.lastResponse)
      this.send(this.lastResponse);
  }

  protected onTransportError(error: unknown): void {
    this.safely('onTransportError', () => this.user.onTransportError?.(error));
  }
}

export type ServerTransaction = InviteServerTransaction | NonInviteServerTransaction;
