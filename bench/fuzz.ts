/**
 * `npm run bench -- fuzz [inputs] [seed]`: feeds mutated SIP messages (1,000,000 by default)
 * through screenMessage, as the UDP transport does with each datagram, and every tenth one
 * through the TCP framer in random cuts. Reports crashes (anything but a handled outcome), the
 * slowest input, the outcomes, and the rate against a baseline measured in the same run:
 * screening only the valid, unmutated corpus messages.
 */
import { performance } from 'node:perf_hooks';
import {
  isSipError,
  mutateMessage,
  parseMessage,
  StreamFramer,
  screenMessage,
  seededRandom,
} from '../src/sip/index';
import { fuzzCorpus } from '../test/fixtures/sip/rfc4475';

function corpus(): Buffer[] {
  return fuzzCorpus([
    'wsinv',
    'esc01',
    'escnull',
    'lwsdisp',
    'longreq',
    'semiuri',
    'transports',
    'mpart01',
    'unreason',
  ]);
}

function frameInCuts(input: Buffer, random: () => number): void {
  const framer = new StreamFramer();
  try {
    for (let offset = 0; offset < input.length; ) {
      const size = 1 + Math.floor(random() * 500);
      for (const frame of framer.push(input.subarray(offset, offset + size))) {
        if (frame.kind === 'message') {
          try {
            parseMessage(frame.data, { stream: true });
          } catch (error) {
            if (!isSipError(error)) throw error;
          }
        }
      }
      offset += size;
    }
  } catch (error) {
    if (!isSipError(error)) throw error;
  }
}

export default async function fuzz(args: string[]): Promise<unknown> {
  const inputs = Number(args[0] ?? 1_000_000);
  const seed = Number(args[1] ?? 1);
  const seeds = corpus();

  // Baseline: the valid messages alone, round robin, in the same process and run.
  const baselineInputs = Math.max(10_000, Math.floor(inputs / 10));
  const baselineStart = performance.now();
  for (let i = 0; i < baselineInputs; i++) screenMessage(seeds[i % seeds.length]!);
  const baselineMs = performance.now() - baselineStart;

  const random = seededRandom(seed);
  const outcomes: Record<string, number> = {};
  const crashSamples: { index: number; error: string; input: string }[] = [];
  let crashes = 0;
  let screenMs = 0;
  let slowestMs = 0;
  let slowestIndex = -1;
  let over10ms = 0;
  const slowest: { index: number; took: number; input: Buffer }[] = [];
  let inputBytes = 0;
  const wallStart = performance.now();
  for (let n = 0; n < inputs; n++) {
    const input = mutateMessage(random, seeds);
    inputBytes += input.length;
    const start = performance.now();
    try {
      const result = screenMessage(input);
      const key = result.action === 'reject' ? `reject ${result.status}` : result.action;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      if (n % 10 === 0) frameInCuts(input, random);
    } catch (error) {
      crashes++;
      if (crashSamples.length < 5) {
        crashSamples.push({ index: n, error: String(error), input: input.toString('base64') });
      }
    }
    const took = performance.now() - start;
    screenMs += took;
    if (took > slowestMs) {
      slowestMs = took;
      slowestIndex = n;
    }
    if (took > 10) over10ms++;
    // Keep the slowest few to time again alone: on a shared machine one slow run is usually
    // the scheduler, and timing the same input again tells a slow input from a busy CPU.
    if (slowest.length < 8 || took > slowest[slowest.length - 1]!.took) {
      slowest.push({ index: n, took, input });
      slowest.sort((a, b) => b.took - a.took);
      if (slowest.length > 8) slowest.pop();
    }
    if (n > 0 && n % 100_000 === 0) process.stderr.write(`fuzz: ${n} inputs, ${crashes} crashes\n`);
  }
  const wallMs = performance.now() - wallStart;

  // Each of the slowest inputs again, 21 times alone; the median is its real cost.
  const retimed = slowest.map(({ index, input }) => {
    const runs: number[] = [];
    for (let i = 0; i < 21; i++) {
      const start = performance.now();
      screenMessage(input);
      runs.push(performance.now() - start);
    }
    runs.sort((a, b) => a - b);
    return { index, bytes: input.length, medianMs: Number(runs[10]!.toFixed(3)) };
  });

  const rate = (count: number, ms: number) => Math.round((count / ms) * 1000);
  return {
    seed,
    inputs,
    crashes,
    crashSamples,
    inputsPerSecond: rate(inputs, screenMs),
    inputsPerSecondWithMutation: rate(inputs, wallMs),
    meanInputBytes: Math.round(inputBytes / inputs),
    slowestInputMs: Number(slowestMs.toFixed(3)),
    slowestInputIndex: slowestIndex,
    inputsOver10ms: over10ms,
    slowestInputsRetimed: retimed,
    worstRetimedMedianMs: Math.max(...retimed.map((r) => r.medianMs)),
    baseline: {
      what: 'screenMessage on the unmutated valid corpus',
      inputs: baselineInputs,
      inputsPerSecond: rate(baselineInputs, baselineMs),
    },
    ratioToBaseline: Number((rate(inputs, screenMs) / rate(baselineInputs, baselineMs)).toFixed(3)),
    outcomes: Object.fromEntries(Object.entries(outcomes).sort(([, a], [, b]) => b - a)),
  };
}
