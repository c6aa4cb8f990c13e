/**
 * crm: the customer as the contact center sees them.
 * In: searches, profile and consent changes, contacts to log, notes, cases, tags, saved
 * segments and offer rules (as data); accounts, cards and PIN state come through the
 * core-banking port. Out: customer summaries, the 360° view with next-best offers, segment
 * members counted and paged by the database, the demo bank's seed; events and audit entries
 * for every change.
 * It never evaluates a segment or offer rule in memory (always as SQL), and never shows more
 * of a card number than its last four digits.
 */
import './events';

export type { CrmEvents } from './events';
export {
  bankProducts,
  holdingProducts,
  type Language,
  languages,
  type Product,
  products,
  type SegmentFilter,
  segmentFilterSchema,
  type Tier,
  tiers,
} from './filters';
export {
  type Actor,
  type Case,
  type CaseDetail,
  type CaseHistoryEntry,
  type CasePatch,
  type CasePriority,
  type CaseStatus,
  type ContactChannel,
  type CrmErrorCode,
  type Customer360,
  type CustomerProfile,
  type CustomerSearch,
  type CustomerSummary,
  casePriorities,
  caseStatuses,
  caseTransition,
  contactChannels,
  crmErrors,
  type NewCase,
  type NewTimelineEntry,
  type Note,
  type Offer,
  type Phone,
  type ProfilePatch,
  type Segment,
  type SegmentMembers,
  slaHours,
  type TimelineEntry,
} from './model';
export type { Crm, OfferInput, SegmentInput } from './port';
export { type CrmRoutesDeps, crmRoutes } from './routes';
export {
  type DemoCustomer,
  demoCustomers,
  demoGenericPin,
  demoOffers,
  demoSegments,
  type SeedOptions,
  type SeedProgress,
  type SeedReport,
  seedDemoBank,
} from './seed';
export { type CrmPublish, StoreCrm, type StoreCrmOptions } from './store-crm';
