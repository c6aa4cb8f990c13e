/**
 * analytics: statistics and staffing math. In: offered load, handle times, patience, agent
 * counts. Out: Erlang B / C / A figures (probability of waiting, service level, ASA, abandon
 * rate, agents needed). It is pure arithmetic: no clock, no I/O, no state.
 */
export {
  agentsForServiceLevel,
  type ErlangAInput,
  type ErlangAResult,
  type ErlangCInput,
  type ErlangCResult,
  erlangA,
  erlangB,
  erlangC,
  erlangCProbabilityOfWait,
  erlangCServiceLevel,
} from './erlang';
