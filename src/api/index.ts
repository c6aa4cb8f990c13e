/**
 * api: the HTTP edge. In: HTTP requests and WebSocket connections. Out: JSON replies,
 * problem+json errors, the live event stream, health and metrics. It authenticates every
 * request, checks the role a route declares, and audits logins and denials; the business
 * rules stay in the domain modules whose route plugins it mounts.
 */

export { requireSession } from './auth';
export type { ApiEvents } from './events';
export { canSee } from './events-stream';
export type { HealthCheck } from './health';
export { storeHealth } from './health';
export { hashPassword, verifyPassword } from './passwords';
export { errorToProblem, type Problem, problem, statusOfKind } from './problem';
export { type Access, adminOnly, anyRole, type Role, roles, supervisorUp } from './roles';
export { authErrors, idParams, problemSchema } from './schemas';
export { type ApiDeps, bodyLimit, buildApi } from './server';
export { type NewUser, type Session, type User, type UserPatch, Users, type UsersOptions } from './users';
