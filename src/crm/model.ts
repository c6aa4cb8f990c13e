import type { Account, Card, PinStatus } from '../banking/index';
import { type ErrorKind, TellerError } from '../core/index';
import type { Language, Product, SegmentFilter, Tier } from './filters';

/** Every error the CRM raises, with its stable code and kind. */
export const crmErrors = {
  CRM_CUSTOMER_NOT_FOUND: 'not-found',
  CRM_CASE_NOT_FOUND: 'not-found',
  CRM_SEGMENT_NOT_FOUND: 'not-found',
  CRM_OFFER_NOT_FOUND: 'not-found',
  CRM_INVALID: 'invalid',
  CRM_SEARCH_EMPTY: 'invalid',
  CRM_ILLEGAL_TRANSITION: 'conflict',
  CRM_SEGMENT_EXISTS: 'conflict',
  CRM_OFFER_EXISTS: 'conflict',
} as const satisfies Record<string, ErrorKind>;
export type CrmErrorCode = keyof typeof crmErrors;

export function crmError(code: CrmErrorCode, message: string): TellerError {
  return new TellerError(code, crmErrors[code], message);
}

/** Who does something in the CRM, in which contact. */
export interface Actor {
  /** The user's id (or `system`). */
  id: string;
  interactionId?: string | null;
  ip?: string | null;
}

export interface Phone {
  number: string;
  label: string;
  primary: boolean;
}

export interface CustomerProfile {
  id: string;
  cif: string;
  nameZh: string;
  nameLatin: string;
  language: Language;
  tier: Tier;
  phones: Phone[];
  emails: string[];
  consent: { voice: boolean; sms: boolean; email: boolean };
  doNotCall: boolean;
  tags: string[];
  lastContactAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface CustomerSummary {
  id: string;
  cif: string;
  nameZh: string;
  nameLatin: string;
  tier: Tier;
  language: Language;
  primaryPhone: string | null;
  /** Masked to the last four digits. */
  cards: string[];
}

export interface CustomerSearch {
  phone?: string;
  /** Prefix of the Latin name (any case) or of the Chinese name. */
  name?: string;
  accountNumber?: string;
  cardNumber?: string;
  cif?: string;
  limit?: number;
}

export interface ProfilePatch {
  language?: Language;
  tier?: Tier;
  emails?: string[];
  consent?: { voice?: boolean; sms?: boolean; email?: boolean };
  doNotCall?: boolean;
}

export const contactChannels = [
  'voice',
  'ivr',
  'webcall',
  'video',
  'chat',
  'email',
  'sms',
  'branch',
] as const;
export type ContactChannel = (typeof contactChannels)[number];

export interface TimelineEntry {
  id: string;
  channel: ContactChannel;
  direction: 'inbound' | 'outbound';
  at: number;
  interactionId: string | null;
  agentId: string | null;
  summary: string;
  outcome: string | null;
}

export interface NewTimelineEntry {
  channel: ContactChannel;
  direction: 'inbound' | 'outbound';
  at?: number;
  interactionId?: string | null;
  summary: string;
  outcome?: string | null;
}

export interface Note {
  id: string;
  caseId: string | null;
  author: string;
  body: string;
  at: number;
}

export const casePriorities = ['low', 'normal', 'high', 'urgent'] as const;
export type CasePriority = (typeof casePriorities)[number];
/** How long each priority may stay unresolved (the SLA), in hours from opening. */
export const slaHours: Record<CasePriority, number> = { low: 168, normal: 72, high: 24, urgent: 4 };

export const caseStatuses = ['new', 'open', 'pending', 'resolved', 'closed'] as const;
export type CaseStatus = (typeof caseStatuses)[number];

/**
 * A case's life. Pending waits on the customer or a third party; a resolved case can be
 * reopened until it is closed.
 *
 *   new ──► open ◄──► pending
 *    │        │          │
 *    └────────┴──► resolved ──► closed
 *                     │
 *                     └──► open (reopened)
 */
const caseEdges: Readonly<Record<CaseStatus, readonly CaseStatus[]>> = {
  new: ['open', 'resolved'],
  open: ['pending', 'resolved'],
  pending: ['open', 'resolved'],
  resolved: ['open', 'closed'],
  closed: [],
};

export function caseTransition(from: CaseStatus, to: CaseStatus): CaseStatus {
  if (!caseEdges[from].includes(to)) {
    throw crmError('CRM_ILLEGAL_TRANSITION', `a case cannot go from ${from} to ${to}`);
  }
  return to;
}

export interface Case {
  id: string;
  customerId: string;
  subject: string;
  category: string;
  status: CaseStatus;
  priority: CasePriority;
  slaDueAt: number;
  /** True when unresolved past its SLA. */
  breached: boolean;
  assignee: string | null;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
  resolvedAt: number | null;
}

export interface CaseHistoryEntry {
  at: number;
  actor: string;
  action: string;
  from: string | null;
  to: string | null;
  note: string | null;
}

export interface CaseDetail extends Case {
  history: CaseHistoryEntry[];
  notes: Note[];
}

export interface NewCase {
  subject: string;
  category: string;
  priority: CasePriority;
  assignee?: string | null;
  note?: string;
}

export interface CasePatch {
  status?: CaseStatus;
  priority?: CasePriority;
  assignee?: string | null;
  note?: string;
}

export interface Segment {
  id: string;
  name: string;
  description: string;
  filter: SegmentFilter;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
}

export interface Offer {
  id: string;
  code: string;
  name: string;
  pitch: string;
  priority: number;
  conditions: SegmentFilter;
  active: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface Customer360 {
  profile: CustomerProfile;
  products: Product[];
  accounts: Account[];
  cards: Card[];
  pin: PinStatus;
  timeline: TimelineEntry[];
  openCases: Case[];
  notes: Note[];
  /** Next-best offers the customer qualifies for, best first. */
  offers: Offer[];
}

export interface SegmentMembers {
  count: number;
  customers: CustomerSummary[];
  nextCursor: string | null;
}
