/**
 * Queueing formulas for staffing a contact center.
 *
 * Erlang C is the M/M/N queue (Poisson arrivals, exponential handle times, N agents, nobody
 * hangs up). Erlang A (Palm's queue, M/M/N+M) adds exponential patience: a waiting caller
 * abandons at rate θ = 1 / mean patience. The Erlang A formulas follow Mandelbaum & Zeltyn,
 * "The Palm/Erlang-A queue, with applications to call centers" (2004), written as two series
 * of positive terms so nothing cancels and nothing overflows (see `erlangA`).
 *
 * Inputs are the offered load in Erlangs (arrival rate × average handle time), the average
 * handle time in seconds and the number of agents; times out are seconds.
 */

export interface ErlangCInput {
  /** Offered load in Erlangs: arrivals per second × average handle time in seconds. */
  erlangs: number;
  ahtSeconds: number;
  agents: number;
}

export interface ErlangCResult {
  /** Probability that an arriving contact has to wait at all (the Erlang C formula). */
  probabilityOfWait: number;
  /** Average speed of answer over all contacts, waiting or not, in seconds; Infinity when overloaded. */
  asaSeconds: number;
  /** Agent occupancy: erlangs / agents, capped at 1. */
  occupancy: number;
}

export interface ErlangAInput extends ErlangCInput {
  /** Mean of the exponential patience, in seconds. */
  patienceSeconds: number;
}

export interface ErlangAResult {
  /** Probability that an arriving contact waits at all. */
  probabilityOfWait: number;
  /** Probability that an arriving contact hangs up before an agent answers. */
  probabilityOfAbandon: number;
  /** Mean time in queue over all arrivals (served and abandoned), in seconds. */
  averageWaitSeconds: number;
  /** Mean number of contacts waiting. */
  averageQueueLength: number;
  /** Agent occupancy: the served load over the agents. */
  occupancy: number;
}

function checkLoad(erlangs: number, ahtSeconds: number, agents: number): void {
  if (!(erlangs >= 0) || !Number.isFinite(erlangs))
    throw new RangeError(`erlangs must be ≥ 0, got ${erlangs}`);
  if (!(ahtSeconds > 0) || !Number.isFinite(ahtSeconds)) {
    throw new RangeError(`ahtSeconds must be > 0, got ${ahtSeconds}`);
  }
  if (!Number.isInteger(agents) || agents < 0)
    throw new RangeError(`agents must be a whole number ≥ 0, got ${agents}`);
}

/**
 * Erlang B (loss) probability by the recursion B(n) = a·B(n−1) / (n + a·B(n−1)), which stays in
 * [0, 1] at every step, unlike the textbook aⁿ/n! ÷ Σ aᵏ/k! that overflows past a few hundred agents.
 */
export function erlangB(agents: number, erlangs: number): number {
  if (!Number.isInteger(agents) || agents < 0)
    throw new RangeError(`agents must be a whole number ≥ 0, got ${agents}`);
  if (!(erlangs >= 0)) throw new RangeError(`erlangs must be ≥ 0, got ${erlangs}`);
  let b = 1;
  for (let n = 1; n <= agents; n++) b = (erlangs * b) / (n + erlangs * b);
  return b;
}

/** Erlang C probability of waiting: N·B / (N − a·(1 − B)); 1 when the load reaches the agents. */
export function erlangCProbabilityOfWait(agents: number, erlangs: number): number {
  if (erlangs <= 0) return 0;
  if (erlangs >= agents) return 1;
  const b = erlangB(agents, erlangs);
  return (agents * b) / (agents - erlangs * (1 - b));
}

export function erlangC(input: ErlangCInput): ErlangCResult {
  const { erlangs, ahtSeconds, agents } = input;
  checkLoad(erlangs, ahtSeconds, agents);
  const probabilityOfWait = erlangCProbabilityOfWait(agents, erlangs);
  // Given a wait, the wait is exponential with rate (N − a) / AHT: the N servers drain the queue
  // at N/AHT while arrivals refill it at a/AHT.
  const asaSeconds =
    erlangs >= agents ? Number.POSITIVE_INFINITY : (probabilityOfWait * ahtSeconds) / (agents - erlangs);
  return { probabilityOfWait, asaSeconds, occupancy: agents === 0 ? 1 : Math.min(1, erlangs / agents) };
}

/** Fraction answered within `targetSeconds`: 1 − C·e^{−(N − a)·t / AHT}. */
export function erlangCServiceLevel(input: ErlangCInput & { targetSeconds: number }): number {
  const { erlangs, ahtSeconds, agents, targetSeconds } = input;
  checkLoad(erlangs, ahtSeconds, agents);
  if (erlangs >= agents) return erlangs === 0 ? 1 : 0;
  const c = erlangCProbabilityOfWait(agents, erlangs);
  return 1 - c * Math.exp((-(agents - erlangs) * targetSeconds) / ahtSeconds);
}

/**
 * The fewest agents whose Erlang C service level reaches `serviceLevel` (0..1) for the target,
 * and whose ASA is at most `maxAsaSeconds` when given. Starts just above the load, where the
 * queue first becomes stable, so it checks a handful of candidates.
 */
export function agentsForServiceLevel(input: {
  erlangs: number;
  ahtSeconds: number;
  targetSeconds: number;
  serviceLevel: number;
  maxAsaSeconds?: number;
}): number {
  const { erlangs, ahtSeconds, targetSeconds, serviceLevel, maxAsaSeconds } = input;
  if (!(serviceLevel >= 0 && serviceLevel < 1))
    throw new RangeError(`serviceLevel must be in [0, 1), got ${serviceLevel}`);
  checkLoad(erlangs, ahtSeconds, 0);
  for (let agents = Math.max(1, Math.floor(erlangs) + 1); ; agents++) {
    const sl = erlangCServiceLevel({ erlangs, ahtSeconds, agents, targetSeconds });
    const asa = erlangC({ erlangs, ahtSeconds, agents }).asaSeconds;
    if (sl >= serviceLevel && (maxAsaSeconds === undefined || asa <= maxAsaSeconds)) return agents;
  }
}

/**
 * Erlang A (M/M/N+M). With x = N·μ/θ and y = λ/θ the queue-length distribution beyond N busy
 * agents is proportional to aₘ = Π_{k=1..m} y / (x + k) (m waiting). Writing
 * S₀ = Σ aₘ and S₁ = Σ m·aₘ (m ≥ 0), and E for Erlang B with N agents:
 *
 *   P(wait)    = S₀·E / (1 − E + S₀·E)                       (M&Z: A(x,y)·E / (1 + (A − 1)·E))
 *   P(abandon) = P(wait) · S₁ / (y·S₀)                        (abandon flow θ·E[queue] over λ)
 *
 * The second line equals M&Z's P(wait)·(1/(ρA) + 1 − 1/ρ), but that form subtracts two nearly equal
 * numbers when patience is long; this one adds positive terms only. Terms are summed in log
 * space scaled by the largest, so a heavily overloaded queue with patient callers cannot overflow.
 */
export function erlangA(input: ErlangAInput): ErlangAResult {
  const { erlangs, ahtSeconds, agents, patienceSeconds } = input;
  checkLoad(erlangs, ahtSeconds, agents);
  if (!(patienceSeconds > 0)) throw new RangeError(`patienceSeconds must be > 0, got ${patienceSeconds}`);
  if (erlangs === 0) {
    return {
      probabilityOfWait: 0,
      probabilityOfAbandon: 0,
      averageWaitSeconds: 0,
      averageQueueLength: 0,
      occupancy: 0,
    };
  }
  const lambda = erlangs / ahtSeconds;
  const theta = 1 / patienceSeconds;
  const x = agents / ahtSeconds / theta;
  const y = lambda / theta;
  const e = erlangB(agents, erlangs);

  // First pass: the log of the largest term (terms rise while y > x + m, then fall).
  const peak = Math.max(0, Math.floor(y - x));
  let logPeak = 0;
  for (let m = 1; m <= peak; m++) logPeak += Math.log(y / (x + m));

  let s0 = 0;
  let s1 = 0;
  let logTerm = 0;
  for (let m = 0; ; m++) {
    if (m > 0) logTerm += Math.log(y / (x + m));
    const term = Math.exp(logTerm - logPeak);
    s0 += term;
    s1 += m * term;
    // Past the peak the terms fall at least geometrically; stop once they no longer move the sums.
    if (m > peak && term < 1e-17 * s0 && m * term < 1e-17 * (s1 + 1e-300)) break;
  }

  const probabilityOfWait = e / (((1 - e) * Math.exp(-logPeak)) / s0 + e);
  const probabilityOfAbandon = (probabilityOfWait * s1) / (y * s0);
  const averageWaitSeconds = probabilityOfAbandon / theta;
  return {
    probabilityOfWait,
    probabilityOfAbandon,
    averageWaitSeconds,
    averageQueueLength: lambda * averageWaitSeconds,
    occupancy: agents === 0 ? 1 : Math.min(1, (erlangs * (1 - probabilityOfAbandon)) / agents),
  };
}
