import { parentPort, workerData } from 'node:worker_threads';
import { isMediaErrorCode } from './errors';
import { MediaWorker } from './media-worker';
import type { FromWorker, MediaEvents, ToWorker, WorkerMethod, WorkerOptions } from './protocol';

/**
 * Entry of a media worker thread: requests in, replies and events out, over the worker's
 * message port. The worker holds its own tick, sockets and files; the main thread only asks.
 */
const port = parentPort;
if (!port) throw new Error('media worker.ts must run in a worker thread');
const options = workerData as WorkerOptions;

const post = (message: FromWorker) => port.postMessage(message);
const worker = new MediaWorker(
  options.index,
  <K extends keyof MediaEvents>(event: K, data: MediaEvents[K]) => post({ event, data }),
  options,
);

port.on('message', (message: ToWorker | { shutdown: true }) => {
  if ('shutdown' in message) {
    worker.shutdown();
    port.close();
    return;
  }
  const { id, method, data } = message;
  worker.handle(method as WorkerMethod, data as never).then(
    (result) => post({ id, ok: true, data: result }),
    (error: unknown) => {
      const e = error as { code?: unknown; message?: unknown };
      const code = typeof e.code === 'string' && isMediaErrorCode(e.code) ? e.code : 'MEDIA_INTERNAL';
      post({ id, ok: false, error: { code, message: String(e.message ?? error) } });
    },
  );
});

post({ ready: true, scheduling: worker.scheduling, schedulingError: worker.schedulingError });
