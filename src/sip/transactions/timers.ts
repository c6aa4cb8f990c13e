/**
 * The timer values of RFC 3261 §17 (Table 4 in Appendix A), from T1, T2 and T4. A deployment may
 * raise T1 on high-latency links; everything else follows from the three.
 */
export interface TimerValues {
  /** RTT estimate. Default 500 ms. */
  readonly t1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses. Default 4 s. */
  readonly t2: number;
  /** Maximum time a message remains in the network. Default 5 s. */
  readonly t4: number;
}

export const defaultTimers: TimerValues = { t1: 500, t2: 4000, t4: 5000 };

/** Timer D: "> 32 s for UDP" (§17.1.1.2); 0 over a reliable transport. */
export const TIMER_D_UNRELIABLE = 32_000;

/**
 * §17.2.1: a server transaction sends 100 Trying unless the TU answers within 200 ms.
 */
export const TRYING_DELAY = 200;
