/**
 * app: the composition root. In: a validated configuration. Out: a running Teller (store, ACD,
 * media, SIP, calls, the phone-banking line on the service number, HTTP) and the demo bank on
 * first start. It holds no rules of its own; it wires modules together — the IVR's ports onto
 * the bank, the CRM, the ACD and the call's media — and tears them down.
 */
export { type DemoUser, demoPassword, demoUsers, seedDemoUsers } from './demo';
export { AppError, type AppErrorCode } from './errors';
export { demoBankHolidays } from './holidays';
export { BankIvrBanking, type BankIvrOptions, bankKey } from './ivr-banking';
export { openFlows } from './ivr-flows';
export { IvrLine, type IvrLineOptions, type LineQueue } from './ivr-line';
export { AcdIvrQueue, CrmIvrCustomers, FetchIvrHttp, LoggingIvrSms } from './ivr-ports';
export { type PhoneBanking, startPhoneBanking } from './phone-banking';
export {
  openCore,
  type StartOptions,
  serviceNumber,
  startTeller,
  type Teller,
  type TellerCore,
  testLineNumber,
} from './teller';
