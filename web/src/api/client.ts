/**
 * The one HTTP client of the web app: typed calls to the Teller REST API with the session
 * cookie the login sets (HTTP-only, same origin), and every failure as an `ApiProblem`
 * carrying the server's RFC 9457 problem (status, stable code, detail, fields at fault).
 */
import type {
  Account,
  AgentConfigInput,
  AgentStatistics,
  Case,
  CasePriority,
  Customer360,
  CustomerSummary,
  Interaction,
  IvrContainmentRow,
  IvrFlowActivation,
  IvrFlowDetail,
  IvrFlowSummary,
  IvrSaved,
  IvrValidation,
  Money,
  Note,
  Problem,
  QueueConfig,
  QueueHistory,
  QueueView,
  Role,
  SuperviseMode,
  TimelineEntry,
  TransferResult,
  User,
  Verification,
} from './types';

export class ApiProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly fields: { field: string; message: string }[];

  constructor(problem: Problem) {
    super(problem.detail || problem.title);
    this.name = 'ApiProblem';
    this.status = problem.status;
    this.code = problem.code;
    this.detail = problem.detail;
    this.fields = problem.errors ?? [];
  }

  /** The route is not there (yet): the server answered 404 for the path itself. */
  get missingRoute(): boolean {
    return this.status === 404 && (this.code === 'API_NOT_FOUND' || this.code === 'HTTP_404');
  }
}

/** Anything thrown at the network level becomes a problem too, so the UI has one error shape. */
function networkProblem(error: unknown): ApiProblem {
  return new ApiProblem({
    type: 'about:blank',
    title: 'Network error',
    status: 0,
    code: 'NETWORK',
    detail: error instanceof Error ? error.message : String(error),
  });
}

interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  query?: Record<string, string | number | undefined>;
  signal?: AbortSignal;
}

let onUnauthenticated: (() => void) | undefined;

/** Called when the session has gone (expired, revoked): the app goes back to the login screen. */
export function setUnauthenticatedHandler(handler: (() => void) | undefined): void {
  onUnauthenticated = handler;
}

async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  let url = `/api/v1${path}`;
  if (options.query) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query)) {
      if (value !== undefined && value !== '') params.set(key, String(value));
    }
    const query = params.toString();
    if (query) url += `?${query}`;
  }
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: 'same-origin',
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    throw networkProblem(error);
  }
  if (response.status === 204) return undefined as T;
  const type = response.headers.get('content-type') ?? '';
  const body: unknown = type.includes('json') ? await response.json().catch(() => undefined) : undefined;
  if (!response.ok) {
    const problem =
      body && typeof body === 'object' && 'code' in body
        ? (body as Problem)
        : {
            type: 'about:blank',
            title: response.statusText,
            status: response.status,
            code: `HTTP_${response.status}`,
            detail: response.statusText || `HTTP ${response.status}`,
          };
    if (response.status === 401 && path !== '/auth/login') onUnauthenticated?.();
    throw new ApiProblem(problem);
  }
  return body as T;
}

/**
 * A key for a money-moving request. Made once per intended operation and reused on a retry, so
 * the bank never moves the money twice (it answers the retry with the first result).
 * crypto.getRandomValues works on plain-HTTP origins too, unlike randomUUID.
 */
export function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `web-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

const enc = encodeURIComponent;

export const api = {
  // ---- session ----
  login: (username: string, password: string) =>
    request<{ token: string; expiresAt: number; user: User }>('POST', '/auth/login', {
      body: { username, password },
    }),
  logout: () => request<void>('POST', '/auth/logout'),
  me: () => request<{ user: User; expiresAt: number }>('GET', '/auth/me'),

  // ---- users (admin) ----
  users: () => request<{ users: User[] }>('GET', '/users'),
  createUser: (input: {
    username: string;
    displayName: string;
    role: Role;
    password: string;
    extension?: string | null;
  }) => request<User>('POST', '/users', { body: input }),
  updateUser: (
    id: string,
    patch: {
      displayName?: string;
      role?: Role;
      disabled?: boolean;
      locked?: false;
      extension?: string | null;
    },
  ) => request<User>('PATCH', `/users/${enc(id)}`, { body: patch }),

  // ---- ACD: my state ----
  myState: () => request<AgentStatistics>('GET', '/acd/me'),
  acdLogin: () => request<AgentStatistics>('POST', '/acd/me/login'),
  ready: () => request<AgentStatistics>('POST', '/acd/me/ready'),
  notReady: (reason: string) => request<AgentStatistics>('POST', '/acd/me/not-ready', { body: { reason } }),
  acdLogout: () => request<AgentStatistics>('POST', '/acd/me/logout'),
  accept: (interactionId: string) =>
    request<AgentStatistics>('POST', `/acd/interactions/${enc(interactionId)}/accept`),
  decline: (interactionId: string) =>
    request<AgentStatistics>('POST', `/acd/interactions/${enc(interactionId)}/decline`),
  release: (interactionId: string) =>
    request<AgentStatistics>('POST', `/acd/interactions/${enc(interactionId)}/release`),
  extendWrapUp: (interactionId: string, byMs: number) =>
    request<{ deadline: number }>('POST', `/acd/interactions/${enc(interactionId)}/wrap-up/extend`, {
      body: { byMs },
    }),
  /** With the agent's wrap-up code, which the ACD checks against its list and puts on the record. */
  endWrapUp: (interactionId: string, wrapUpCode?: string) =>
    request<AgentStatistics>('POST', `/acd/interactions/${enc(interactionId)}/wrap-up/end`, {
      ...(wrapUpCode === undefined ? {} : { body: { wrapUpCode } }),
    }),
  /** The codes an agent may end a contact with; null when the ACD takes any code. */
  wrapUpCodes: () => request<{ codes: string[] | null }>('GET', '/acd/wrap-up-codes'),

  // ---- ACD: queues and agents (supervisors, admins) ----
  queues: () => request<{ queues: QueueView[] }>('GET', '/acd/queues'),
  saveQueue: (config: QueueConfig) =>
    request<QueueConfig>('PUT', `/acd/queues/${enc(config.id)}`, { body: config }),
  agents: () => request<{ agents: AgentStatistics[] }>('GET', '/acd/agents'),
  saveAgent: (id: string, config: AgentConfigInput) =>
    request<unknown>('PUT', `/acd/agents/${enc(id)}`, { body: { id, ...config } }),
  forceState: (agentId: string, state: 'ready' | 'not-ready' | 'logged-out', reason?: string) =>
    request<AgentStatistics>('POST', `/acd/agents/${enc(agentId)}/state`, {
      body: reason ? { state, reason } : { state },
    }),

  // ---- interactions: the contact and what the IVR attached ----
  interaction: (id: string) => request<Interaction>('GET', `/interactions/${enc(id)}`),
  /** Sends the caller to the IVR's PIN subflow; they come back verified (interaction.updated). */
  requestIvrVerification: (interactionId: string, level: 'pin') =>
    request<unknown>('POST', `/interactions/${enc(interactionId)}/verification`, { body: { level } }),
  transferToQueue: (interactionId: string, queueId: string) =>
    request<unknown>('POST', `/interactions/${enc(interactionId)}/transfer`, { body: { queueId } }),
  conference: (interactionId: string, target: { kind: 'agent' | 'number'; target: string }) =>
    request<unknown>('POST', `/interactions/${enc(interactionId)}/conference`, { body: target }),

  // ---- CRM ----
  searchCustomers: (query: { phone?: string; name?: string; cif?: string }, interactionId?: string) =>
    request<{ customers: CustomerSummary[] }>('GET', '/customers', {
      query: { ...query, limit: 10, interactionId },
    }),
  customer: (id: string, interactionId?: string) =>
    request<Customer360>('GET', `/customers/${enc(id)}`, { query: { interactionId } }),
  addNote: (customerId: string, body: string, interactionId?: string) =>
    request<Note>('POST', `/customers/${enc(customerId)}/notes`, {
      body: interactionId ? { body, interactionId } : { body },
    }),
  openCase: (
    customerId: string,
    input: {
      subject: string;
      category: string;
      priority: CasePriority;
      note?: string;
      interactionId?: string;
    },
  ) => request<Case>('POST', `/customers/${enc(customerId)}/cases`, { body: input }),
  logContact: (
    customerId: string,
    entry: {
      channel: string;
      direction: 'inbound' | 'outbound';
      summary: string;
      outcome?: string;
      interactionId?: string;
    },
  ) => request<TimelineEntry>('POST', `/customers/${enc(customerId)}/timeline`, { body: entry }),

  // ---- banking on the customer's behalf ----
  accounts: (customerId: string, interactionId?: string) =>
    request<{ accounts: Account[] }>('GET', `/customers/${enc(customerId)}/accounts`, {
      query: { interactionId },
    }),
  verifyCallerNumber: (customerId: string, callerNumber: string, interactionId?: string) =>
    request<Verification>('POST', `/customers/${enc(customerId)}/verification/caller-number`, {
      body: interactionId ? { callerNumber, interactionId } : { callerNumber },
    }),
  transferOwn: (
    customerId: string,
    input: {
      fromAccountId: string;
      toAccountId: string;
      amount: Money;
      memo?: string;
      verificationId?: string;
      interactionId?: string;
    },
    idempotencyKey: string,
  ) =>
    request<TransferResult>('POST', `/customers/${enc(customerId)}/transfers`, {
      body: input,
      headers: { 'idempotency-key': idempotencyKey },
    }),

  /** A queue's day so far, counted by the server from its event log (the wallboard's charts). */
  queueHistory: (queueId: string, range: { from: number; to?: number; bucketMs: number }) => {
    const query = new URLSearchParams({ from: String(range.from), bucket: String(range.bucketMs) });
    if (range.to !== undefined) query.set('to', String(range.to));
    return request<QueueHistory>('GET', `/acd/queues/${enc(queueId)}/history?${query}`);
  },

  // ---- supervision of a live call ----
  superviseCall: (callId: string, mode: SuperviseMode) =>
    request<unknown>('POST', `/calls/${enc(callId)}/supervise`, { body: { mode } }),

  // ---- IVR flows (src/ivr/routes.ts: supervisors read, admins change) ----
  ivrFlows: () => request<{ flows: IvrFlowSummary[] }>('GET', '/ivr/flows'),
  ivrFlow: (id: string) => request<IvrFlowDetail>('GET', `/ivr/flows/${enc(id)}`),
  /** A 400 problem lists every step path at fault in `fields`. */
  validateIvrFlow: (document: unknown) =>
    request<IvrValidation>('POST', '/ivr/flows/validate', { body: document }),
  uploadIvrFlow: (document: unknown) => request<IvrSaved>('POST', '/ivr/flows', { body: document }),
  activateIvrFlow: (id: string, version: number) =>
    request<IvrFlowActivation>('POST', `/ivr/flows/${enc(id)}/activate`, { body: { version } }),
  rollbackIvrFlow: (id: string) => request<IvrFlowActivation>('POST', `/ivr/flows/${enc(id)}/rollback`),
  ivrContainment: () => request<{ calls: number; flows: IvrContainmentRow[] }>('GET', '/ivr/containment'),
};

/** The client function the supervisor console's monitor, whisper and barge buttons call. */
export function superviseCall(callId: string, mode: SuperviseMode): Promise<unknown> {
  return api.superviseCall(callId, mode);
}
