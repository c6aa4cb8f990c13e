/**
 * The running server under hostile input (issue 4 §4: "no input a peer sends crashes or stalls the
 * server"). Thousands of mutated valid messages (src/sip/fuzz.ts, seeded) go to a whole Teller over
 * UDP and over TCP in random cuts; afterwards it must still answer OPTIONS on both transports and
 * register SIPp, have reported no error and left no unhandled rejection, and its transactions must
 * drain back to none once their timers expire (memory bounded). Then the TCP abuses: garbage,
 * an oversized message, a slow-loris that trickles a message byte by byte.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mutateMessage, seededRandom, TcpTransport } from '../src/sip/index';
import { rfc4475Message } from './fixtures/sip/rfc4475';
import { optionsRequest, TcpPeer, UdpPeer, waitUntil } from './fixtures/sipp/peers';
import { runSipp, sippFixtures } from './support/sipp';
import { startTestTeller, type TestTeller } from './support/teller';

const seed = 20_240_517;
const udpInputs = 4000;
const tcpConnections = 300;

/** Valid messages only, as in the parser's fuzz test: each mutation starts from a real peer's message. */
function corpus(): Buffer[] {
  const fixtures = path.resolve(import.meta.dirname, 'fixtures', 'sip');
  const own = readdirSync(fixtures)
    .filter((f) => f.endsWith('.sip'))
    .map((f) => readFileSync(path.join(fixtures, f)));
  const torture = ['wsinv', 'esc01', 'escnull', 'lwsdisp', 'longreq', 'semiuri', 'transports', 'inv2543'];
  return [...own, ...torture.map((tag) => rfc4475Message(tag))];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the running server under mutated messages', () => {
  let teller: TestTeller;
  const reported: string[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    teller = await startTestTeller({
      env: {
        // SIPp reads only the first challenge and knows only MD5.
        TELLER_SIP_DIGEST_ALGORITHMS: 'MD5,SHA-256',
        // Mutated credentials are failed authentications; banning the fuzzer would hide the
        // server from the rest of the inputs.
        TELLER_SIP_BAN_AFTER_FAILURES: '1000000',
      },
    });
    // Whatever the server's error reporter sees (a handler that threw, a send that failed) is a
    // finding: the logger is silent in tests, so collect what it is asked to log as an error.
    teller.logger.error = ((first: unknown, second?: unknown) => {
      reported.push(
        `${typeof second === 'string' ? second : ''} ${first instanceof Error ? first.stack : JSON.stringify(first, (_k, v) => (v instanceof Error ? v.stack : v))}`,
      );
    }) as typeof teller.logger.error;
    process.on('unhandledRejection', onUnhandled);
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await teller?.close();
  });

  it(`takes ${udpInputs} mutated datagrams and answers OPTIONS afterwards`, async () => {
    const random = seededRandom(seed);
    const messages = corpus();
    const peers = await Promise.all([UdpPeer.open(), UdpPeer.open(), UdpPeer.open()]);
    try {
      for (let i = 0; i < udpInputs; i++) {
        const input = mutateMessage(random, messages);
        // A datagram cannot exceed 65,507 octets of payload.
        await peers[i % peers.length]!.send(teller.sip.port, input.subarray(0, 65_000));
        // Pace the sender so the kernel's buffers, not the server, decide nothing is lost.
        if (i % 50 === 49) await sleep(2);
      }
      await sleep(200);
      const probe = await UdpPeer.open();
      try {
        await probe.send(teller.sip.port, optionsRequest());
        expect((await probe.final())?.status).toBe(200);
      } finally {
        await probe.close();
      }
      expect(teller.sip.counters.received).toBeGreaterThanOrEqual(udpInputs * 0.95);
      expect(reported).toEqual([]);
    } finally {
      for (const peer of peers) await peer.close();
    }
  });

  it(`takes mutated messages over ${tcpConnections} TCP connections, cut at random`, async () => {
    const random = seededRandom(seed + 1);
    const messages = corpus();
    const run = async () => {
      const peer = await TcpPeer.connect(teller.sip.port);
      try {
        const inputs = Array.from({ length: 1 + Math.floor(random() * 4) }, () =>
          mutateMessage(random, messages),
        );
        const stream = Buffer.concat(inputs);
        for (let at = 0; at < stream.length && !peer.closed; ) {
          const cut = 1 + Math.floor(random() * 700);
          await peer.write(stream.subarray(at, at + cut));
          at += cut;
        }
        await sleep(20);
      } catch {
        // The server may close the connection on a framing error while we still write.
      } finally {
        peer.close();
      }
    };
    for (let i = 0; i < tcpConnections; i += 10) {
      await Promise.all(Array.from({ length: Math.min(10, tcpConnections - i) }, run));
    }
    const probe = await TcpPeer.connect(teller.sip.port);
    try {
      await probe.write(optionsRequest('TCP'));
      expect((await probe.final())?.status).toBe(200);
    } finally {
      probe.close();
    }
    expect(reported).toEqual([]);
  });

  it('still registers SIPp with digest auth, and its transactions drain to none', async () => {
    const result = await runSipp(`127.0.0.1:${teller.sip.port}`, [
      '-sf',
      `${sippFixtures}/register.xml`,
      '-s',
      '1007',
      '-au',
      '1007',
      '-ap',
      'teller-demo',
      '-m',
      '1',
    ]);
    expect(result.status, result.output).toBe(0);
    expect(teller.sip.location.lookup('sip:1007@teller')).toHaveLength(1);
    // Timer J (non-INVITE over UDP) and Timer H (an INVITE's challenge never ACKed) are 64*T1 =
    // 32 s: after them no transaction the fuzzing created may be left.
    const drained = await waitUntil(() => {
      const { server, client } = teller.sip.transactionCounts;
      return server === 0 && client === 0;
    }, 45_000);
    expect(drained, JSON.stringify(teller.sip.transactionCounts)).toBe(true);
    expect(unhandled).toEqual([]);
    expect(reported).toEqual([]);
  }, 90_000);

  describe('TCP abuse', () => {
    it('closes a connection that sends garbage, answering nothing it cannot address', async () => {
      const random = seededRandom(seed + 2);
      const garbage = Buffer.from(Array.from({ length: 4096 }, () => Math.floor(random() * 256)));
      // Two blank lines make the framer read a "header section" from the noise.
      const peer = await TcpPeer.connect(teller.sip.port);
      try {
        await peer.write(Buffer.concat([garbage, Buffer.from('\r\n\r\n'), garbage]));
        expect(await peer.waitClosed(3000)).toBe(true);
        expect(peer.raw.toString('latin1')).not.toMatch(/^SIP\/2\.0/);
      } finally {
        peer.close();
      }
    });

    it('answers a request announcing an oversized body with 513 and closes', async () => {
      const peer = await TcpPeer.connect(teller.sip.port);
      try {
        const huge = optionsRequest('TCP').replace('Content-Length: 0', 'Content-Length: 10000000');
        await peer.write(huge);
        const answer = await peer.final();
        expect(answer?.status).toBe(513);
        expect(answer?.headers.get('call-id')).toMatch(/^options-/);
        expect(await peer.waitClosed(3000)).toBe(true);
      } finally {
        peer.close();
      }
    });

    it('closes a connection whose header section never ends before the size limit', async () => {
      const peer = await TcpPeer.connect(teller.sip.port);
      try {
        const head = optionsRequest('TCP').replace('\r\n\r\n', '\r\n');
        await peer.write(head);
        const filler = Buffer.from(`X-Filler: ${'a'.repeat(1000)}\r\n`);
        for (let i = 0; i < 70 && !peer.closed; i++) await peer.write(filler).catch(() => undefined);
        expect(await peer.waitClosed(3000)).toBe(true);
      } finally {
        peer.close();
      }
    });

    it('a peer that does not close its side after a framing error is cut off anyway', async () => {
      const peer = await TcpPeer.connect(teller.sip.port, { allowHalfOpen: true });
      try {
        await peer.write(rfc4475Message('mcl01'));
        expect((await peer.final())?.status).toBe(400);
        // The server ended its side with the 400; once it has also let go of the socket, what we
        // write next is refused with a reset. A socket kept open would take it in silence.
        await sleep(1500);
        for (let i = 0; i < 3 && !peer.closed; i++) {
          await peer.write(optionsRequest('TCP')).catch(() => undefined);
          await sleep(100);
        }
        expect(await peer.waitClosed(3000)).toBe(true);
      } finally {
        peer.close();
      }
    });

    it('keeps serving other peers while a slow-loris holds a connection', async () => {
      const loris = await TcpPeer.connect(teller.sip.port);
      try {
        const message = Buffer.from(optionsRequest('TCP').replaceAll('LOCALPORT', String(loris.port)));
        for (let i = 0; i < 20; i++) await loris.write(message.subarray(i, i + 1));
        const other = await TcpPeer.connect(teller.sip.port);
        try {
          await other.write(optionsRequest('TCP'));
          expect((await other.final())?.status).toBe(200);
        } finally {
          other.close();
        }
        expect(loris.pending).toBe(0);
      } finally {
        loris.close();
      }
      expect(reported).toEqual([]);
    });
  });
});

describe('TCP transport: the message deadline (slow-loris)', () => {
  it('closes a connection that trickles a message slower than the deadline, or says nothing, and keeps a brisk one', async () => {
    const received: string[] = [];
    const transport = await TcpTransport.listen(
      '127.0.0.1',
      0,
      (data) => received.push(data.toString('latin1').split('\r\n')[0]!),
      { maxMessageBytes: 65_535, messageTimeoutMs: 400 },
    );
    try {
      const message = Buffer.from(optionsRequest('TCP').replaceAll('LOCALPORT', '5060'));
      const loris = await TcpPeer.connect(transport.local.port);
      const silent = await TcpPeer.connect(transport.local.port);
      try {
        // One byte every 50 ms: each byte resets an idle timeout, never the message deadline.
        for (let i = 0; i < 40 && !loris.closed; i++) {
          await loris.write(message.subarray(i, i + 1)).catch(() => undefined);
          await sleep(50);
        }
        expect(loris.closed).toBe(true);
        // Connected and never a word: closed by the same deadline, not after the idle timeout.
        expect(silent.closed).toBe(true);
      } finally {
        loris.close();
        silent.close();
      }
      const brisk = await TcpPeer.connect(transport.local.port);
      try {
        // Whole messages and lone CRLF keep-alives, however long the connection lives, are fine.
        for (let i = 0; i < 4; i++) {
          await brisk.write(message);
          await sleep(150);
          await brisk.write('\r\n');
          await sleep(150);
        }
        await sleep(300);
        expect(brisk.closed).toBe(false);
        expect(received).toEqual(Array(4).fill('OPTIONS sip:teller@127.0.0.1 SIP/2.0'));
      } finally {
        brisk.close();
      }
    } finally {
      await transport.close();
    }
  });
});
