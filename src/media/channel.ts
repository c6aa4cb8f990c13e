import type { Worker } from 'node:worker_threads';
import { isMediaErrorCode, MediaError } from './errors';
import type { FromWorker, MediaEventName, ToWorker, WorkerMethod, WorkerMethods } from './protocol';

interface Pending {
  method: WorkerMethod;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/**
 * The main thread's end of the control channel to one media worker (mediasoup's Channel):
 * each request gets an id and waits for the reply with that id; events come back unasked.
 * When the worker exits or fails, every pending request is rejected with MEDIA_WORKER_DIED
 * naming its method and id, and later requests fail at once.
 */
export class ControlChannel {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private deadReason: string | undefined;

  constructor(
    private readonly worker: Worker,
    readonly name: string,
    private readonly onEvent: (event: MediaEventName, data: unknown) => void,
    private readonly onDeath: (reason: string) => void,
  ) {
    worker.on('message', (message: FromWorker) => this.onMessage(message));
    worker.on('error', (error) => this.die(`failed: ${error.message}`));
    worker.on('exit', (code) => this.die(`exited with code ${code}`));
  }

  get alive(): boolean {
    return this.deadReason === undefined;
  }

  /** Requests waiting for a reply. */
  get pendingCount(): number {
    return this.pending.size;
  }

  request<M extends WorkerMethod>(
    method: M,
    data: WorkerMethods[M]['params'],
  ): Promise<WorkerMethods[M]['result']> {
    const id = this.nextId++;
    if (this.deadReason !== undefined) {
      return Promise.reject(
        new MediaError(
          'MEDIA_WORKER_DIED',
          `${this.name} is dead (${this.deadReason}); cannot send ${method} #${id}`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      this.pending.set(id, { method, resolve: resolve as (value: unknown) => void, reject });
      const message: ToWorker = { id, method, data };
      this.worker.postMessage(message);
    });
  }

  private onMessage(message: FromWorker): void {
    if ('ready' in message) return;
    if ('event' in message) {
      this.onEvent(message.event, message.data);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return; // a reply after death was declared; nobody waits for it
    this.pending.delete(message.id);
    if (message.ok) pending.resolve(message.data);
    else {
      const code = isMediaErrorCode(message.error.code) ? message.error.code : 'MEDIA_INTERNAL';
      pending.reject(new MediaError(code, `${pending.method} #${message.id}: ${message.error.message}`));
    }
  }

  private die(reason: string): void {
    if (this.deadReason !== undefined) return;
    this.deadReason = reason;
    for (const [id, p] of this.pending) {
      p.reject(
        new MediaError('MEDIA_WORKER_DIED', `${this.name} ${reason} before answering ${p.method} #${id}`),
      );
    }
    this.pending.clear();
    this.onDeath(reason);
  }
}
