/**
 * `npm run bench -- sip-fuzz-server [inputs] [seed]`: mutated SIP messages (100,000 by default)
 * as UDP datagrams at a running SipServer on loopback, the way a hostile peer would send them,
 * against a baseline measured in the same run: the unmutated valid corpus sent the same way.
 * Reports what the server did with them (its counters), errors it reported (each is a defect),
 * unhandled rejections, the peak of live server transactions and the heap before and after, and
 * whether it still answers OPTIONS. Generator and server share this process and the 2 cores, so
 * the ratio to the baseline is the figure to read, not the absolute rate.
 */
import dgram from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createLogger, RealClock } from '../src/core/index';
import { computeHa1, mutateMessage, SipServer, seededRandom } from '../src/sip/index';

const fixtures = path.resolve(import.meta.dirname, '../test/fixtures/sip');

function corpus(): Buffer[] {
  const own = readdirSync(fixtures)
    .filter((f) => f.endsWith('.sip'))
    .map((f) => readFileSync(path.join(fixtures, f)));
  const valid = ['wsinv', 'esc01', 'escnull', 'lwsdisp', 'longreq', 'semiuri', 'transports', 'inv2543'];
  return [...own, ...valid.map((tag) => readFileSync(path.join(fixtures, 'rfc4475', `${tag}.dat`)))];
}

/** Sends `count` datagrams from `next`, at most `window` ahead of what the server has taken in. */
async function drive(
  server: SipServer,
  socket: dgram.Socket,
  count: number,
  next: (i: number) => Buffer,
): Promise<{ ms: number; received: number }> {
  const window = 200;
  const before = server.counters.received;
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const data = next(i);
    await new Promise<void>((resolve) =>
      socket.send(data.subarray(0, 65_000), server.port, '127.0.0.1', () => resolve()),
    );
    // Let the server catch up rather than lose datagrams in the kernel's buffer.
    for (let spins = 0; i - (server.counters.received - before) > window && spins < 1000; spins++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  const settle = performance.now() + 2000;
  while (server.counters.received - before < count && performance.now() < settle) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return { ms: performance.now() - start, received: server.counters.received - before };
}

export default async function sipFuzzServer(args: string[]): Promise<unknown> {
  const inputs = Number(args[0] ?? 100_000);
  const seed = Number(args[1] ?? 1);
  const seeds = corpus();
  const reported: string[] = [];
  const logger = createLogger('silent');
  logger.error = ((first: unknown, second?: unknown) => {
    if (reported.length < 5)
      reported.push(`${String(second)} ${first instanceof Error ? first.stack : JSON.stringify(first)}`);
    else reported.push('');
  }) as typeof logger.error;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);

  const ha1 = computeHa1('MD5', '1001', 'teller', 'teller-demo');
  const server = await SipServer.start({
    host: '127.0.0.1',
    port: 0,
    realm: 'teller',
    digestAlgorithms: ['MD5'],
    lookupHa1: async (username) => (username === '1001' ? ha1 : undefined),
    extensionOf: async (username) => (username === '1001' ? '1001' : undefined),
    // Mutated credentials fail authentication; a ban would hide the server from the rest.
    security: { maxFailures: Number.MAX_SAFE_INTEGER },
    clock: new RealClock(),
    logger,
  });
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  let answers = 0;
  socket.on('message', () => answers++);
  let peakTransactions = 0;
  const sampler = setInterval(() => {
    peakTransactions = Math.max(peakTransactions, server.transactionCounts.server);
  }, 50);

  try {
    // Baseline: the valid corpus, round robin. Retransmissions of the same message would be
    // absorbed by their transaction, so each copy gets its own branch and Call-ID.
    const baselineInputs = Math.max(5000, Math.floor(inputs / 10));
    const fresh = (data: Buffer, i: number) =>
      Buffer.from(
        data
          .toString('latin1')
          .replace(/z9hG4bK[\w.-]*/, `z9hG4bKbase${i}`)
          .replace(/(Call-ID|i)\s*:\s*/i, `$&b${i}-`),
        'latin1',
      );
    const baseline = await drive(server, socket, baselineInputs, (i) => fresh(seeds[i % seeds.length]!, i));

    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const random = seededRandom(seed);
    const countersBefore = { ...server.counters };
    const fuzz = await drive(server, socket, inputs, () => mutateMessage(random, seeds));

    // Still alive: a valid OPTIONS is answered 200.
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', () => resolve()));
    const probePort = probe.address().port;
    const answered = new Promise<string | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), 3000);
      probe.once('message', (data) => {
        clearTimeout(timer);
        resolve(data.toString('latin1').split('\r\n')[0]);
      });
    });
    probe.send(
      [
        'OPTIONS sip:teller@127.0.0.1 SIP/2.0',
        `Via: SIP/2.0/UDP 127.0.0.1:${probePort};branch=z9hG4bKprobe;rport`,
        'Max-Forwards: 70',
        'From: <sip:probe@127.0.0.1>;tag=probe',
        'To: <sip:teller@127.0.0.1>',
        'Call-ID: probe@bench',
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
      server.port,
      '127.0.0.1',
    );
    const optionsAfter = await answered;
    probe.close();
    global.gc?.();
    const heapAfter = process.memoryUsage().heapUsed;

    const rate = (count: number, ms: number) => Math.round((count / ms) * 1000);
    const delta = (key: keyof typeof countersBefore) => server.counters[key] - countersBefore[key];
    return {
      seed,
      inputs,
      reportedErrors: reported.length,
      reportedSamples: reported.filter(Boolean),
      unhandledRejections: unhandled.length,
      optionsAfter: optionsAfter ?? 'no answer',
      datagramsPerSecond: rate(fuzz.received, fuzz.ms),
      lostInKernel: inputs - fuzz.received,
      outcomes: {
        rejected: delta('rejected'),
        dropped: delta('dropped'),
        authFailures: delta('authFailures'),
        toTransactionLayer: fuzz.received - delta('rejected') - delta('dropped'),
      },
      answersReceived: answers,
      peakServerTransactions: peakTransactions,
      serverTransactionsAtEnd: server.transactionCounts.server,
      heapMiB: {
        before: Number((heapBefore / 2 ** 20).toFixed(1)),
        after: Number((heapAfter / 2 ** 20).toFixed(1)),
        gcExposed: typeof global.gc === 'function',
      },
      baseline: {
        what: 'the unmutated valid corpus, each copy with its own branch and Call-ID, sent the same way',
        inputs: baselineInputs,
        datagramsPerSecond: rate(baseline.received, baseline.ms),
      },
      ratioToBaseline: Number(
        (rate(fuzz.received, fuzz.ms) / rate(baseline.received, baseline.ms)).toFixed(3),
      ),
    };
  } finally {
    clearInterval(sampler);
    process.off('unhandledRejection', onUnhandled);
    socket.close();
    await server.close();
  }
}
