import type { CasePriority, CaseStatus, ContactChannel } from './model';

/** The domain events the CRM publishes (never a PIN or a full card number). */
export interface CrmEvents {
  'crm.customer.updated': { customerId: string; changed: string[] };
  'crm.interaction.logged': {
    customerId: string;
    entryId: string;
    channel: ContactChannel;
    direction: 'inbound' | 'outbound';
    interactionId: string | null;
  };
  'crm.note.added': { customerId: string; noteId: string; caseId: string | null };
  'crm.case.opened': {
    caseId: string;
    customerId: string;
    priority: CasePriority;
    slaDueAt: number;
    assignee: string | null;
  };
  'crm.case.updated': {
    caseId: string;
    customerId: string;
    status: CaseStatus;
    changes: Array<{ field: string; from: string | null; to: string | null }>;
  };
  'crm.tag.changed': { customerId: string; tag: string; added: boolean };
  'crm.segment.changed': { segmentId: string; name: string; deleted: boolean };
  'crm.offer.changed': { offerId: string; code: string; deleted: boolean };
}

declare module '../core/index' {
  interface DomainEvents extends CrmEvents {}
}
