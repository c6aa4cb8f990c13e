import type { CallRecord } from './records';

export interface CallEvents {
  'call.started': CallRecord;
  'call.answered': CallRecord;
  'call.ended': CallRecord;
}

declare module '../core/index' {
  interface DomainEvents extends CallEvents {}
}
