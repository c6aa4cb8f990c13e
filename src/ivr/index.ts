/**
 * ivr: the self-service line. In: a flow (validated JSON), call events (digits, prompt
 * finished, timeouts, hang-up) and the answers of the ports it is given (banking, queue,
 * media, SMS, HTTP, customers, recording). Out: prompt lists to play, port requests, and
 * domain events with PINs and card numbers masked, from which path and containment are
 * reported. It never does I/O of its own (except `simulateIvr`, the terminal edge of `teller
 * ivr simulate`), never reads the wall clock, and never lets a secret keyed by the caller reach
 * an event, a log line or a recording.
 */

export { type ContainmentRow, containmentReport, type StepCount } from './containment';
export { IvrEngine, type IvrEngineOptions, type StartCall } from './engine';
export { type IvrErrorCode, ivrError, ivrErrors } from './errors';
export {
  type IvrEventMap,
  type IvrEventRecord,
  type IvrEventSink,
  type IvrEventType,
  ivrStepEvents,
  MemoryIvrEvents,
  type SessionOutcome,
  sessionOutcomes,
} from './events';
export type { Value } from './expr';
export { type Flow, type FlowDocument, flowJsonSchema, flowSchema, type Step, type StepType } from './flow';
export { createIvrHarness, harnessEpoch, type IvrHarness } from './harness';
export {
  createDemoIvrPorts,
  type DemoIvrPorts,
  FakeIvrHttp,
  type Fault,
  HolidayCalendar,
  MemoryIvrBanking,
  MemoryIvrCustomers,
  MemoryIvrQueue,
  MemoryIvrRecording,
  MemoryIvrSms,
  ScriptedIvrMedia,
} from './memory-ports';
export type * from './ports';
export {
  allPrompts,
  type PromptKey,
  type PromptText,
  promptLibrary,
  promptText,
  type RenderablePrompt,
  resolvePrompt,
} from './prompts';
export {
  type ActivationAction,
  type FlowActivation,
  type FlowEventMap,
  FlowRepository,
  type FlowRepositoryOptions,
  type FlowStorage,
  type FlowSummary,
  LiveFlows,
  MemoryFlowStorage,
  type StoredFlow,
} from './repository';
export { type IvrRoutesDeps, ivrRoutes } from './routes';
export { type Sayable, say, speechFragments } from './say';
export {
  type FlowResolver,
  IvrSession,
  type SessionState,
  type SessionSummary,
  sessionStates,
} from './session';
export { loadFlowFiles, type SimulateOptions, type SimulationResult, simulateIvr } from './simulate';
export { isLang, type Lang, languages, type Spoken } from './speech';
export { enAmount, enDate, enDigits, enNumber, enPercent, enTime } from './speech-en';
export { zhAmount, zhDate, zhDigits, zhNumber, zhPercent, zhTime } from './speech-zh';
export {
  type ContainmentQuery,
  type ContainmentResult,
  openStoreFlows,
  readContainment,
  type SeedFlowsReport,
  StoreFlowStorage,
  type StoreFlowsOptions,
  seedFlows,
} from './store-flows';
export {
  type FlowValidation,
  parseFlow,
  parseFlowText,
  type ValidateOptions,
  validateFlow,
} from './validate';
