/**
 * WebRTC gateway benchmark: N concurrent legs, each a werift peer playing a browser (in a child
 * process: ICE, DTLS, SRTP like Chromium's) sending 20 ms PCMU to the gateway, whose plain side
 * goes to a UDP echo standing in for the media engine, so every packet crosses the gateway
 * twice (browser → plain, plain → browser). Measured per level: packets relayed per second, the
 * gateway process's CPU (and the generator's), CPU per relayed packet, and the round-trip loss
 * seen by the browsers. The baseline, in the same run and at the same level, is the same relay
 * without ICE/DTLS/SRTP (plain UDP both sides): the ratio of CPU per packet is the figure to
 * compare across machines.
 *
 *   npm run bench -- webrtc [--levels 10,25,50] [--duration 10] [--warmup 2]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import path from 'node:path';
import { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters, RtpHeader } from 'werift';
import { WebRtcGateway, type WebRtcLeg } from '../src/webrtc/index';

const ROLE_ENV = 'TELLER_WEBRTC_BENCH_ROLE';
const FRAME_MS = 20;

type Mode = 'webrtc' | 'plain';

type GeneratorRequest =
  | { cmd: 'offers'; count: number }
  | { cmd: 'answer'; index: number; sdp: string }
  | { cmd: 'connect' }
  | { cmd: 'plain'; targets: number[] }
  | { cmd: 'run'; durationMs: number; warmupMs: number }
  | { cmd: 'close' };

interface GeneratorReport {
  /** In the measuring window. */
  sent: number;
  received: number;
  /** Over the whole run, warm-up included, after the last packets came back. */
  sentTotal: number;
  receivedTotal: number;
  cpuSeconds: number;
  seconds: number;
}

/* ---------------------------------------------------------------------------------------- */
/* Generator (child process): the browsers                                                   */
/* ---------------------------------------------------------------------------------------- */

interface Stream {
  send(seq: number): void;
  received: number;
  close(): Promise<void>;
}

const payload = Buffer.alloc(160, 0x55);

async function webrtcStream(): Promise<{ stream: Stream; offer: string; pc: RTCPeerConnection }> {
  const pc = new RTCPeerConnection({
    iceServers: [],
    iceUseIpv6: false,
    codecs: {
      audio: [
        new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 }),
      ],
    },
  });
  const transceiver = pc.addTransceiver(new MediaStreamTrack({ kind: 'audio' }), { direction: 'sendrecv' });
  await pc.setLocalDescription(await pc.createOffer());
  const stream: Stream = {
    received: 0,
    send(seq) {
      const sender = transceiver.sender;
      const header = new RtpHeader({
        payloadType: 0,
        sequenceNumber: seq & 0xffff,
        timestamp: seq * 160,
        ssrc: sender.ssrc,
      });
      void sender.dtlsTransport.sendRtp(payload, header);
    },
    close: () => pc.close(),
  };
  pc.connectionStateChange.subscribe((state) => {
    if (state === 'connected')
      for (const t of pc.dtlsTransports)
        t.onRtp.subscribe(() => {
          stream.received++;
        });
  });
  return { stream, offer: pc.localDescription!.sdp, pc };
}

async function plainStream(target: number): Promise<Stream> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const packet = Buffer.alloc(172);
  packet[0] = 0x80;
  packet.writeUInt32BE(0x5eed, 8);
  payload.copy(packet, 12);
  const stream: Stream = {
    received: 0,
    send(seq) {
      packet.writeUInt16BE(seq & 0xffff, 2);
      packet.writeUInt32BE((seq * 160) >>> 0, 4);
      socket.send(packet, target, '127.0.0.1');
    },
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
  socket.on('message', () => {
    stream.received++;
  });
  return stream;
}

async function generatorMain(): Promise<void> {
  let streams: Stream[] = [];
  let peers: RTCPeerConnection[] = [];
  const reply = (message: unknown) => process.send?.(message);
  process.on('message', async (request: GeneratorRequest) => {
    if (request.cmd === 'offers') {
      const made = await Promise.all(Array.from({ length: request.count }, () => webrtcStream()));
      streams = made.map((m) => m.stream);
      peers = made.map((m) => m.pc);
      reply({ offers: made.map((m) => m.offer) });
    } else if (request.cmd === 'answer') {
      // Applied at once, as a browser does when the 200 arrives: a werift offerer that gets its
      // answer many seconds after the answerer started checking may never connect.
      await peers[request.index]!.setRemoteDescription({ type: 'answer', sdp: request.sdp });
      reply({ applied: true });
    } else if (request.cmd === 'connect') {
      const deadline = Date.now() + 60_000;
      while (peers.some((pc) => pc.connectionState !== 'connected') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      reply({ connected: peers.filter((pc) => pc.connectionState === 'connected').length });
    } else if (request.cmd === 'plain') {
      streams = await Promise.all(request.targets.map((t) => plainStream(t)));
      reply({ ready: true });
    } else if (request.cmd === 'run') {
      let seq = 0;
      let sent = 0;
      const tick = setInterval(() => {
        seq++;
        for (const s of streams) s.send(seq);
        sent += streams.length;
      }, FRAME_MS);
      await new Promise((r) => setTimeout(r, request.warmupMs));
      const sent0 = sent;
      const received0 = streams.reduce((n, s) => n + s.received, 0);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, request.durationMs));
      const cpu = process.cpuUsage(cpu0);
      const seconds = (performance.now() - t0) / 1000;
      const sentInWindow = sent - sent0;
      const receivedWindowEnd = streams.reduce((n, s) => n + s.received, 0);
      clearInterval(tick);
      // Let the packets in flight come back before counting what returned.
      await new Promise((r) => setTimeout(r, 200));
      const receivedTotal = streams.reduce((n, s) => n + s.received, 0);
      const received = receivedWindowEnd - received0;
      reply({
        report: {
          sent: sentInWindow,
          received,
          sentTotal: sent,
          receivedTotal,
          cpuSeconds: (cpu.user + cpu.system) / 1e6,
          seconds,
        } satisfies GeneratorReport,
      });
    } else if (request.cmd === 'close') {
      await Promise.all(streams.map((s) => s.close()));
      streams = [];
      peers = [];
      reply({ closed: true });
    }
  });
  reply({ ready: true });
}

/* ---------------------------------------------------------------------------------------- */
/* Driver (the bench process): the gateway, or the plain relay, and the echoing endpoints     */
/* ---------------------------------------------------------------------------------------- */

class Generator {
  private constructor(private readonly child: ChildProcess) {}

  static async start(): Promise<Generator> {
    const root = path.resolve(import.meta.dirname, '..');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'webrtc.ts')], {
      cwd: root,
      env: { ...process.env, [ROLE_ENV]: 'generator' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const generator = new Generator(child);
    await generator.request<unknown>(undefined);
    return generator;
  }

  request<T>(message: GeneratorRequest | undefined): Promise<T> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`generator exited with ${code}`));
      this.child.once('exit', onExit);
      this.child.once('message', (m) => {
        this.child.off('exit', onExit);
        resolve(m as T);
      });
      if (message) this.child.send(message);
    });
  }

  async stop(): Promise<void> {
    this.child.kill();
  }
}

async function udp(): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return socket;
}

/** The media engine's stand-in: sends every datagram back where it came from. */
async function echo(): Promise<dgram.Socket> {
  const socket = await udp();
  socket.on('message', (msg, from) => socket.send(msg, from.port, from.address));
  return socket;
}

/** The baseline relay: the gateway's job without ICE, DTLS or SRTP. */
async function plainRelay(): Promise<{ port: number; sockets: dgram.Socket[] }> {
  const front = await udp();
  const back = await udp();
  const engine = await echo();
  let browser: dgram.RemoteInfo | undefined;
  front.on('message', (msg, from) => {
    browser = from;
    back.send(msg, engine.address().port, '127.0.0.1');
  });
  back.on('message', (msg) => {
    if (browser) front.send(msg, browser.port, browser.address);
  });
  return { port: front.address().port, sockets: [front, back, engine] };
}

interface LevelResult {
  mode: Mode;
  legs: number;
  connected: number;
  seconds: number;
  relayedPerSecond: number;
  serverCpuCores: number;
  serverCpuMicrosPerPacket: number;
  generatorCpuCores: number;
  roundTripLossPercent: number;
}

async function runLevel(
  generator: Generator,
  mode: Mode,
  legs: number,
  durationMs: number,
  warmupMs: number,
): Promise<LevelResult> {
  const sockets: dgram.Socket[] = [];
  const opened: WebRtcLeg[] = [];
  let gateway: WebRtcGateway | undefined;
  let connected = legs;
  if (mode === 'webrtc') {
    gateway = new WebRtcGateway({ iceUseIpv6: false, connectTimeoutMs: 60_000 });
    const { offers } = await generator.request<{ offers: string[] }>({ cmd: 'offers', count: legs });
    for (const [index, offer] of offers.entries()) {
      const { leg, answer } = await gateway.acceptOffer(offer);
      const engine = await echo();
      sockets.push(engine);
      leg.connectPlain({ address: '127.0.0.1', port: engine.address().port });
      opened.push(leg);
      await generator.request({ cmd: 'answer', index, sdp: answer });
      leg.answerDelivered();
    }
    connected = (await generator.request<{ connected: number }>({ cmd: 'connect' })).connected;
  } else {
    const relays = await Promise.all(Array.from({ length: legs }, () => plainRelay()));
    for (const r of relays) sockets.push(...r.sockets);
    await generator.request({ cmd: 'plain', targets: relays.map((r) => r.port) });
  }
  // The server's CPU over the generator's measuring window, which starts after its warm-up.
  const running = generator.request<{ report: GeneratorReport }>({ cmd: 'run', durationMs, warmupMs });
  await new Promise((r) => setTimeout(r, warmupMs));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, durationMs));
  const cpu = process.cpuUsage(cpu0);
  const serverSeconds = (performance.now() - t0) / 1000;
  const { report } = await running;
  await generator.request({ cmd: 'close' });
  await Promise.all(opened.map((leg) => leg.close()));
  await gateway?.close();
  for (const s of sockets) s.close();
  // Each packet the generator sent crosses the relay twice: in from the browser, back out to it.
  const relayed = report.sent + report.received;
  const serverCpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    mode,
    legs,
    connected,
    seconds: Number(serverSeconds.toFixed(2)),
    relayedPerSecond: Math.round(relayed / report.seconds),
    serverCpuCores: Number((serverCpuSeconds / serverSeconds).toFixed(3)),
    serverCpuMicrosPerPacket: Number(((serverCpuSeconds / relayed) * 1e6).toFixed(1)),
    generatorCpuCores: Number((report.cpuSeconds / report.seconds).toFixed(3)),
    roundTripLossPercent: Number(
      (100 * (1 - report.receivedTotal / Math.max(1, report.sentTotal))).toFixed(2),
    ),
  };
}

function option(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
}

export default async function bench(args: string[]): Promise<unknown> {
  const levels = option(args, 'levels', '10,25,50').split(',').map(Number);
  const durationMs = Number(option(args, 'duration', '10')) * 1000;
  const warmupMs = Number(option(args, 'warmup', '2')) * 1000;
  const generator = await Generator.start();
  const results: LevelResult[] = [];
  try {
    for (const legs of levels) {
      for (const mode of ['plain', 'webrtc'] as const) {
        process.stderr.write(`webrtc bench: ${mode} ${legs} legs…\n`);
        results.push(await runLevel(generator, mode, legs, durationMs, warmupMs));
      }
    }
  } finally {
    await generator.stop();
  }
  const ratios = levels.map((legs) => {
    const plain = results.find((r) => r.legs === legs && r.mode === 'plain')!;
    const webrtc = results.find((r) => r.legs === legs && r.mode === 'webrtc')!;
    return {
      legs,
      cpuPerPacketRatio: Number(
        (webrtc.serverCpuMicrosPerPacket / plain.serverCpuMicrosPerPacket).toFixed(2),
      ),
    };
  });
  return {
    packetsPerLegPerSecond: 1000 / FRAME_MS,
    durationSeconds: durationMs / 1000,
    note: 'relayed = packets through the server both ways (browser → plain + plain → browser); the generator (werift browsers) shares the cores with the server',
    levels: results,
    ratios,
  };
}

if (process.env[ROLE_ENV] === 'generator') await generatorMain();
