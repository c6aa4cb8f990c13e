import type { UserId } from '../core/index';
import type { User } from './users';

/** The domain events the api module publishes. */
export interface ApiEvents {
  'user.created': { user: User };
  'user.updated': { user: User; changed: string[] };
  'user.deleted': { userId: UserId; username: string };
  'user.locked': { userId: UserId; until: number };
  'user.logged-in': { userId: UserId; username: string };
  'user.logged-out': { userId: UserId; username: string };
}

declare module '../core/index' {
  interface DomainEvents extends ApiEvents {}
}
