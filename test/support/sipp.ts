import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

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

/**
 * Runs Debian's SIPp (package sip-tester) against a server on loopback and waits for it to end.
 * SIPp exits 0 when every call of the scenario succeeded, 1 when some failed.
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
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const status = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { status, output };
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
