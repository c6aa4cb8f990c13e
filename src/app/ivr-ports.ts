import { type AcdEngine, AcdError, type CustomerTier } from '../acd/index';
import { type CustomerId, isTellerError, type Logger, maskNumber, newId } from '../core/index';
import type { Crm, CustomerSummary } from '../crm/index';
import type { Interactions } from '../interactions/index';
import type {
  HandOverData,
  IvrCustomer,
  IvrCustomers,
  IvrHttp,
  IvrHttpRequest,
  IvrQueue,
  IvrSms,
  Lang,
} from '../ivr/index';
import { AppError } from './errors';

/** The self-service part as audit trails and timelines name it. */
export const ivrActor = 'ivr';

// ---------------------------------------------------------------- customers (CRM)

/**
 * The IVR's customers port on the CRM. The CRM keeps a preferred language of `zh-CN`, `zh-HK`
 * or `en` on every customer; the line speaks Mandarin or English, so a Chinese preference is
 * Mandarin here, and the caller's choice at the language menu becomes the CRM's preference.
 */
export class CrmIvrCustomers implements IvrCustomers {
  constructor(private readonly crm: Crm) {}

  async findByPhone(phone: string): Promise<IvrCustomer | null> {
    const found = await this.crm.search({ phone, limit: 2 });
    // Two customers sharing a number cannot be told apart by it: the caller is unknown.
    if (found.length !== 1) return null;
    return ivrCustomer(found[0]!);
  }

  /** The customer a PIN check verified (for their tier and language); null when the CRM has no such customer. */
  async byId(customerId: string): Promise<IvrCustomer | null> {
    try {
      return ivrCustomer(await this.crm.profile(customerId));
    } catch (error) {
      if (isTellerError(error) && error.kind === 'not-found') return null;
      throw error;
    }
  }

  async rememberLanguage(customerId: CustomerId, lang: Lang): Promise<void> {
    const profile = await this.crm.profile(customerId);
    // A Cantonese speaker (zh-HK) who picks Chinese keeps the finer preference.
    if (languageOf(profile.language) === lang) return;
    await this.crm.updateProfile(customerId, { language: lang === 'zh' ? 'zh-CN' : 'en' }, { id: ivrActor });
  }
}

function ivrCustomer(c: Pick<CustomerSummary, 'id' | 'tier' | 'language'>): IvrCustomer {
  return { id: c.id as CustomerId, tier: c.tier, language: languageOf(c.language) };
}

function languageOf(language: string): Lang | null {
  if (language.startsWith('zh')) return 'zh';
  return language === 'en' ? 'en' : null;
}

// ---------------------------------------------------------------- queue (ACD)

export interface AcdIvrQueueOptions {
  acd: AcdEngine;
  interactions: Interactions;
  /** Queue names a flow uses that are not ACD queue ids (`cards-priority` → `cards`). */
  aliases?: Readonly<Record<string, string>>;
}

/** ACD attribute values are strings of at most 1,000 characters (acd/types.ts). */
const maxAttribute = 1000;

/**
 * The IVR's queue port on the ACD. A hand-over makes the call an interaction — the contact the
 * agent's screen pops, with everything the IVR learnt attached (customer, verification, tier,
 * intent, language, the path through the flow) — and enqueues it with the flow's priority as
 * extra priority points on top of the queue's own tier bonus. A callback request is an outbound
 * voice interaction enqueued as a callback: it waits for an agent without holding a line.
 */
export class AcdIvrQueue implements IvrQueue {
  constructor(private readonly o: AcdIvrQueueOptions) {}

  async handOver(request: {
    sessionId: string;
    callId: string;
    queue: string;
    priority: number;
    data: HandOverData;
  }): Promise<{ ticket: string }> {
    const queueId = this.queueId(request.queue);
    const interaction = await this.o.interactions.create({
      channel: 'voice',
      customerId: request.data.customerId,
      queueId,
      data: { ...request.data, callId: request.callId, ivrSessionId: request.sessionId },
    });
    await this.enqueue(interaction.id, queueId, request.priority, request.data, false);
    return { ticket: interaction.id };
  }

  async requestCallback(request: {
    sessionId: string;
    queue: string;
    number: string;
    priority: number;
    data: HandOverData;
  }): Promise<{ callbackId: string }> {
    const queueId = this.queueId(request.queue);
    const interaction = await this.o.interactions.create({
      channel: 'voice',
      direction: 'outbound',
      customerId: request.data.customerId,
      queueId,
      data: { ...request.data, callback: true, number: request.number, ivrSessionId: request.sessionId },
    });
    await this.enqueue(interaction.id, queueId, request.priority, request.data, true);
    return { callbackId: interaction.id };
  }

  /**
   * The caller hung up (or the call was lost) while parked: the ACD stops looking for an agent
   * (an abandon, counted in the queue's statistics) and the interaction closes. Idempotent.
   */
  async callerLeft(interactionId: string, reason: string): Promise<void> {
    const { acd } = this.o;
    if (acd.hasInteraction(interactionId)) {
      const { state } = acd.interactionState(interactionId);
      if (state === 'waiting' || state === 'offered') acd.abandon(interactionId);
    }
    try {
      await this.o.interactions.close(interactionId, reason);
    } catch (error) {
      if (!(isTellerError(error) && error.code === 'INTERACTIONS_CLOSED')) throw error;
    }
  }

  private queueId(name: string): string {
    const queueId = this.o.aliases?.[name] ?? name;
    if (!this.o.acd.queueIds().some((id) => id === queueId)) {
      throw new AcdError('ACD_UNKNOWN_QUEUE', `the ACD has no queue ${queueId} (the flow's queue ${name})`);
    }
    return queueId;
  }

  private async enqueue(
    interactionId: string,
    queueId: string,
    priority: number,
    data: HandOverData,
    callback: boolean,
  ): Promise<void> {
    const tier: CustomerTier = data.tier ?? 'mass';
    try {
      this.o.acd.enqueue({
        interactionId,
        queueId,
        ...(data.customerId ? { customerId: data.customerId } : {}),
        tier,
        priorityBoost: priority,
        callback,
        attributes: attributesOf(data),
      });
    } catch (error) {
      // Not queued: the contact is not left open as if it were.
      await this.o.interactions.close(interactionId, 'not-queued').catch(() => undefined);
      throw error;
    }
  }
}

function attributesOf(data: HandOverData): Record<string, string> {
  const out: Record<string, string> = {
    intent: data.intent,
    language: data.language,
    verification: data.verification,
    ivrPath: data.ivrPath.join(' > '),
  };
  if (data.callerNumber) out.callerNumber = data.callerNumber;
  for (const [key, value] of Object.entries(data.extra)) {
    if (value !== null) out[`ivr.${key}`] = String(value);
  }
  for (const [key, value] of Object.entries(out)) {
    // The end of a long path is where the caller asked for a person: keep the end.
    if (value.length > maxAttribute) out[key] = `…${value.slice(-(maxAttribute - 1))}`;
  }
  return out;
}

// ---------------------------------------------------------------- SMS (a log until the SMS channel exists)

/**
 * Until the SMS channel exists, a receipt is written to the log instead of being sent: who it
 * was for (the number masked), its language and length — not its text, which names amounts.
 */
export class LoggingIvrSms implements IvrSms {
  constructor(private readonly logger: Logger) {}

  async send(request: {
    sessionId: string;
    to: string;
    text: string;
    lang: Lang;
  }): Promise<{ messageId: string }> {
    const messageId = newId();
    this.logger.info(
      {
        messageId,
        sessionId: request.sessionId,
        to: maskNumber(request.to),
        lang: request.lang,
        length: request.text.length,
      },
      'IVR SMS not sent: no SMS channel yet (logged instead)',
    );
    return { messageId };
  }
}

// ---------------------------------------------------------------- HTTP (fetch)

/** An answer bigger than this is refused: a flow reads small JSON documents, not downloads. */
const maxBodyBytes = 1024 * 1024;

/**
 * The IVR's `http` step over `fetch`: the query joined to the URL, a JSON body for POST, the
 * step's timeout and the session's abort signal (a hang-up cancels the request). JSON answers
 * are parsed; anything else is returned as text.
 */
export class FetchIvrHttp implements IvrHttp {
  async request(request: IvrHttpRequest): Promise<{ status: number; body: unknown }> {
    const url = new URL(request.url);
    for (const [name, value] of Object.entries(request.query)) url.searchParams.set(name, value);
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method: request.method,
        headers: {
          accept: 'application/json',
          ...(request.body !== null ? { 'content-type': 'application/json' } : {}),
        },
        ...(request.body !== null ? { body: JSON.stringify(request.body) } : {}),
        signal: AbortSignal.any([request.signal, AbortSignal.timeout(request.timeoutMs)]),
        redirect: 'error',
      });
      const declared = Number(response.headers.get('content-length') ?? '0');
      if (declared > maxBodyBytes) {
        await response.body?.cancel();
        throw new AppError('APP_HTTP_TOO_LARGE', `${url.host} answered ${declared} bytes`);
      }
      text = await response.text();
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError('APP_HTTP_UNREACHABLE', `${request.method} ${url.origin}${url.pathname} failed`, {
        cause: error,
      });
    }
    if (Buffer.byteLength(text) > maxBodyBytes) {
      throw new AppError('APP_HTTP_TOO_LARGE', `${url.host} answered more than ${maxBodyBytes} bytes`);
    }
    const type = response.headers.get('content-type') ?? '';
    if (/json/i.test(type) && text.length > 0) {
      try {
        return { status: response.status, body: JSON.parse(text) as unknown };
      } catch (error) {
        throw new AppError('APP_HTTP_BAD_JSON', `${url.host} sent JSON that does not parse`, {
          cause: error,
        });
      }
    }
    return { status: response.status, body: text };
  }
}
