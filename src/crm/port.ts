import type { Page } from '../banking/index';
import type { Product, SegmentFilter } from './filters';
import type {
  Actor,
  Case,
  CaseDetail,
  CasePatch,
  CaseStatus,
  Customer360,
  CustomerProfile,
  CustomerSearch,
  CustomerSummary,
  NewCase,
  NewTimelineEntry,
  Note,
  Offer,
  ProfilePatch,
  Segment,
  SegmentMembers,
  TimelineEntry,
} from './model';

export interface SegmentInput {
  name: string;
  description: string;
  filter: SegmentFilter;
}

export interface OfferInput {
  code: string;
  name: string;
  pitch: string;
  priority: number;
  conditions: SegmentFilter;
  active: boolean;
}

/**
 * The CRM port: the customer as the contact center sees them. The built-in `StoreCrm` keeps
 * it in Teller's store; a bank may put its own CRM behind the same interface. Changes are
 * audited with the acting user and the interaction, and published as events.
 */
export interface Crm {
  search(query: CustomerSearch): Promise<CustomerSummary[]>;
  profile(customerId: string): Promise<CustomerProfile>;
  updateProfile(customerId: string, patch: ProfilePatch, actor: Actor): Promise<CustomerProfile>;
  /** The 360° view: profile, products, accounts, cards, timeline, cases, notes and next-best offers. */
  view(customerId: string, actor: Actor): Promise<Customer360>;
  products(customerId: string): Promise<Product[]>;

  timeline(
    customerId: string,
    query?: { limit?: number; cursor?: string | null },
  ): Promise<Page<TimelineEntry>>;
  logInteraction(customerId: string, entry: NewTimelineEntry, actor: Actor): Promise<TimelineEntry>;
  notes(customerId: string, limit?: number): Promise<Note[]>;
  addNote(customerId: string, input: { body: string; caseId?: string | null }, actor: Actor): Promise<Note>;
  tag(customerId: string, tag: string, actor: Actor): Promise<string[]>;
  untag(customerId: string, tag: string, actor: Actor): Promise<string[]>;

  cases(query: {
    customerId?: string;
    assignee?: string;
    statuses?: CaseStatus[];
    limit?: number;
  }): Promise<Case[]>;
  getCase(caseId: string): Promise<CaseDetail>;
  openCase(customerId: string, input: NewCase, actor: Actor): Promise<CaseDetail>;
  updateCase(caseId: string, patch: CasePatch, actor: Actor): Promise<CaseDetail>;

  segments(): Promise<Segment[]>;
  segment(segmentId: string): Promise<Segment>;
  saveSegment(input: SegmentInput, actor: Actor, segmentId?: string): Promise<Segment>;
  deleteSegment(segmentId: string, actor: Actor): Promise<void>;
  /** Customers matching a saved segment or an ad-hoc filter, counted and paged by the database. */
  members(
    segment: { segmentId: string } | { filter: SegmentFilter },
    page?: { limit?: number; cursor?: string | null },
  ): Promise<SegmentMembers>;

  offers(): Promise<Offer[]>;
  saveOffer(input: OfferInput, actor: Actor, offerId?: string): Promise<Offer>;
  deleteOffer(offerId: string, actor: Actor): Promise<void>;
  /** Active offers the customer qualifies for, best first. */
  offersFor(customerId: string): Promise<Offer[]>;
}
