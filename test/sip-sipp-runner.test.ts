/**
 * The SIPp runner of the protocol tests (test/support/sipp.ts): a SIPp that a test leaves running
 * — a callee still waiting for its INVITE when the test fails or times out — is killed when that
 * test finishes, so it cannot hold its port (and the CPU) into the tests after it.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitUntil } from './fixtures/sipp/peers';
import { freeUdpPort, runningSipps, runSipp, sippFixtures } from './support/sipp';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('runSipp', () => {
  let left: { pid: number; result: ReturnType<typeof runSipp> } | undefined;

  it('starts a SIPp that would outlive the test body (a callee whose INVITE never comes)', async () => {
    // A UAS with a minute to wait for a call nobody makes: only the cleanup can end it early.
    const result = runSipp(
      `127.0.0.1:${await freeUdpPort()}`,
      ['-sf', path.join(sippFixtures, 'callee-rings.xml'), '-s', '1002', '-m', '1'],
      60_000,
    );
    expect(await waitUntil(() => runningSipps().length === 1, 5000)).toBe(true);
    const pid = runningSipps()[0]!;
    expect(alive(pid)).toBe(true);
    left = { pid, result };
  });

  it('has killed it once that test finished', async () => {
    expect(left).toBeDefined();
    expect(await waitUntil(() => !alive(left!.pid), 5000)).toBe(true);
    expect((await left!.result).status).not.toBe(0);
    expect(runningSipps()).toEqual([]);
  });
});
