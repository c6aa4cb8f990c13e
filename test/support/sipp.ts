import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, onTestFinished } from 'vitest';

export const sippFixtures = path.resolve(import.meta.dirname, '..', 'fixtures', 'sipp');

/** A free UDP port on loopback for SIPp's local socket. */
export async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

export interface SippResult {
  status: number | null;
  output: string;
}

/** SIPp processes still running, so that none outlives the test, the file or the worker that started it. */
const running = new Set<ChildProcess>();

function kill(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

// A file's tests are over (whether they passed, failed or timed out): nothing of theirs runs on.
afterAll(() => {
  for (const child of running) kill(child);
});
process.once('exit', () => {
  for (const child of running) kill(child);
});

/**
 * Runs Debian's SIPp (package sip-tester) against a server on loopback and waits for it to end.
 * SIPp exits 0 when every call of the scenario succeeded, 1 when some failed. It is killed when
 * the test that started it finishes (a test that timed out included), when it outlives its own
 * -timeout by 10 s, and when the file's tests are over.
 */
export async function runSipp(target: string, args: string[], timeoutMs = 30_000): Promise<SippResult> {
  const port = await freeUdpPort();
  const dir = mkdtempSync(path.join(tmpdir(), 'teller-sipp-'));
  const child = spawn(
    'sipp',
    [
      target,
      '-p',
      String(port),
      '-i',
      '127.0.0.1',
      '-nostdin',
      '-timeout',
      `${Math.floor(timeoutMs / 1000)}s`,
      ...args,
    ],
    {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  running.add(child);
  // Inside a test it ends with the test; outside one (beforeAll) the file's afterAll ends it.
  if (expect.getState().currentTestName !== undefined) onTestFinished(() => kill(child));
  const deadline = setTimeout(() => kill(child), timeoutMs + 10_000);
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const status = await new Promise<number | null>((resolve) => {
    child.once('error', (error) => {
      output += `\n${error.message}`;
      resolve(null);
    });
    child.once('exit', (code) => resolve(code));
  });
  clearTimeout(deadline);
  running.delete(child);
  return { status, output };
}

/** Process ids of the SIPp runs still going (for the test of the cleanup itself). */
export function runningSipps(): number[] {
  return [...running].filter((c) => c.exitCode === null && c.signalCode === null).map((c) => c.pid ?? 0);
}

/** Sends one raw SIP message over UDP and returns the first reply within `waitMs`, or undefined. */
export async function udpExchange(port: number, message: string, waitMs = 1500): Promise<string | undefined> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const local = socket.address().port;
  const reply = new Promise<string | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), waitMs);
    socket.once('message', (data) => {
      clearTimeout(timer);
      resolve(data.toString('utf8'));
    });
  });
  socket.send(message.replaceAll('LOCALPORT', String(local)), port, '127.0.0.1');
  const result = await reply;
  socket.close();
  return result;
}
