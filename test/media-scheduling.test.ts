import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/core/index';
import { loadRtpIo, MediaEngine, type MediaEvents } from '../src/media/index';

// Realtime scheduling is granted to root (CAP_SYS_NICE) with the native RTP I/O built, as in CI
// and `npm start`; anywhere else the workers must say why they run normally.
const mayRealtime = process.getuid?.() === 0 && loadRtpIo() !== null;

function capturingLogger() {
  const lines: { level: number; msg: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger('info', sink), lines };
}

let engine: MediaEngine | undefined;

/** Two realtime workers on their own hundred ports, logging into `lines`. */
async function startRealtime(portMin: number, debug = false) {
  const { logger, lines } = capturingLogger();
  engine = await MediaEngine.start({
    workers: 2,
    portMin,
    portMax: portMin + 99,
    realtimePriority: 10,
    debug,
    logger,
  });
  return { engine, lines };
}
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

describe('media worker scheduling (ADR 017)', () => {
  it('puts the workers on SCHED_RR when asked and allowed, as the kernel reports it, or says why not', async () => {
    const { engine, lines } = await startRealtime(37000);
    const stats = await engine.workerStats();
    const warnings = lines.filter((l) => l.level === 40).map((l) => l.msg);
    if (mayRealtime) {
      expect(stats.map((s) => s.scheduling)).toEqual(['realtime', 'realtime']);
      expect(warnings).toEqual([]);
    } else {
      expect(stats.map((s) => s.scheduling)).toEqual(['normal', 'normal']);
      expect(warnings).toHaveLength(2);
      expect(warnings[0]).toMatch(
        /normal scheduling: (SCHED_RR priority 10 refused: EPERM|realtime scheduling needs)/,
      );
    }
  });

  it('leaves the workers on normal scheduling without a priority', async () => {
    engine = await MediaEngine.start({ workers: 1, portMin: 37100, portMax: 37199 });
    expect((await engine.workerStats()).map((s) => s.scheduling)).toEqual(['normal']);
  });

  it.skipIf(!mayRealtime)(
    'puts an overloaded realtime worker back on normal scheduling and tells the engine, leaving the others, and back on realtime once calm',
    async () => {
      const { engine, lines } = await startRealtime(37200, true);
      const changes: MediaEvents['scheduling'][] = [];
      engine.on('scheduling', (change) => changes.push(change));
      const until = async (n: number) => {
        for (let i = 0; i < 150 && changes.length < n; i++) await new Promise((r) => setTimeout(r, 100));
      };
      await engine.loadWorker(1, 19); // 19 of every 20 ms in ticks: over the 90 % the guard allows
      await until(1);
      await engine.loadWorker(1, 0);
      expect(changes[0]).toMatchObject({ worker: 1, scheduling: 'normal' });
      expect(changes[0]!.reason).toMatch(/used over 90 % of a core in each of the last 3 seconds/);
      const byWorker = Object.fromEntries((await engine.workerStats()).map((s) => [s.index, s.scheduling]));
      expect(byWorker).toEqual({ 0: 'realtime', 1: 'normal' });
      expect(
        lines.some((l) => l.level === 40 && /media worker 1 now has normal scheduling/.test(l.msg)),
      ).toBe(true);
      // Idle again: back on realtime once it has been calm for a while.
      await until(2);
      expect(changes[1]).toMatchObject({ worker: 1, scheduling: 'realtime' });
      expect(changes[1]!.reason).toMatch(/used under 70 % of a core in each of the last 5 seconds/);
      expect((await engine.workerStats()).map((s) => s.scheduling)).toEqual(['realtime', 'realtime']);
    },
  );
});
