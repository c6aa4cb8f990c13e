import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { MediaError } from './errors';
import { PacketArena } from './packet-arena';

/**
 * The native RTP I/O path (ADR 016): build/native/rtpio.node, built by scripts/build-native.mjs.
 * A media worker's RTP sockets live in one I/O set; the tick reads everything that arrived with
 * one `recvAll` and sends everything it made with one `sendBatch`, instead of one `dgram`
 * callback and one `send` per packet. IPv4 only. Absent addon = null, and dgram is used.
 */
interface RtpIoAddon {
  createSet(socketReceiveBytes?: number): RtpIoSetHandle;
  open(set: RtpIoSetHandle, address: string, port: number): number;
  localPort(set: RtpIoSetHandle, handle: number): number;
  close(set: RtpIoSetHandle, handle: number): void;
  recvAll(set: RtpIoSetHandle, buffer: Uint8Array): number;
  sendBatch(set: RtpIoSetHandle, buffer: Uint8Array, count: number): number;
  counters(set: RtpIoSetHandle): [truncated: number, receiveErrors: number];
  schedule(priority: number): number;
}
declare const setBrand: unique symbol;
type RtpIoSetHandle = { readonly [setBrand]: true };

export type MediaIo = 'dgram' | 'native';

/**
 * SO_RCVBUF of each RTP socket (the kernel doubles it): about 16 datagrams of G.711, a third of a
 * second. A worker held up (a long collection) then finds at most that much queued per stream —
 * the jitter buffer keeps 200 ms at most — instead of seconds it would have to work through
 * before it could be on time again; what the kernel drops meanwhile counts as lost (ADR 017).
 */
export const defaultSocketReceiveBytes = 8 * 1024;

/** Record header size of the addon's packed buffers (see rtpio.c). */
const HEADER = 24;
const MAX_DATAGRAM = 2048;

let loaded: RtpIoAddon | null | undefined;

/** The addon, or null when it was not built (no compiler, not Linux) or cannot be loaded here. */
export function loadRtpIo(): RtpIoAddon | null {
  if (loaded !== undefined) return loaded;
  const file = path.resolve(import.meta.dirname, '..', '..', 'build', 'native', 'rtpio.node');
  loaded = null;
  if (existsSync(file)) {
    try {
      loaded = createRequire(import.meta.url)(file) as RtpIoAddon;
    } catch {
      // built for another Node ABI or platform: the dgram path works everywhere
      loaded = null;
    }
  }
  return loaded;
}

/**
 * Which RTP I/O a media worker uses (`TELLER_MEDIA_IO` or the engine's option): `dgram` when
 * asked for, else `native` when the addon is built, else `dgram`. Native is the default since it
 * measured 1.4–1.6 times the packets per core of dgram (ADR 016, bench/RESULTS.md).
 */
export function chooseMediaIo(requested: string | undefined): MediaIo {
  return requested !== 'dgram' && loadRtpIo() ? 'native' : 'dgram';
}

/** 'a.b.c.d' as the addon's number (a<<24 | …), or undefined for anything but an IPv4 literal. */
export function ip4ToNumber(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

export function ip4ToString(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** Receives one datagram: `data` is a view valid only during the call (the buffer is reused). */
export type NativeReceiver = (data: Buffer, ip4: number, port: number, arrivalMs: number) => void;

/**
 * One media worker's I/O set: its sockets, the receive buffer the addon fills, and the send
 * buffer the tick's packets are queued in until `flush`.
 */
export class NativeRtpIo {
  private readonly set: RtpIoSetHandle;
  private readonly receivers = new Map<number, NativeReceiver>();
  private readonly recvBytes: Buffer;
  private readonly recvWords: Uint32Array;
  private readonly recvTimes: Float64Array;
  private readonly sendBytes: Buffer;
  private readonly sendWords: Uint32Array;
  /** Where endpoints keep the received payloads they hold past this tick (the receive buffer is reused). */
  readonly arena = new PacketArena();
  private sendUsed = 0;
  private sendCount = 0;
  /** Senders of the queued packets, in order, to count a failed send on its endpoint. */
  private senders: ((errno: number) => void)[] = [];

  constructor(
    private readonly addon: RtpIoAddon,
    receiveBytes = 512 * 1024,
    sendBytes = 256 * 1024,
    socketReceiveBytes = defaultSocketReceiveBytes,
  ) {
    this.set = addon.createSet(socketReceiveBytes);
    // Own ArrayBuffers (not Node's pool) so that the f64 fields are 8-byte aligned.
    this.recvBytes = Buffer.from(new ArrayBuffer(receiveBytes));
    this.recvWords = new Uint32Array(this.recvBytes.buffer);
    this.recvTimes = new Float64Array(this.recvBytes.buffer);
    this.sendBytes = Buffer.from(new ArrayBuffer(sendBytes));
    this.sendWords = new Uint32Array(this.sendBytes.buffer);
  }

  /** Binds an IPv4 UDP socket; errors carry the errno name as `code` (EADDRINUSE…). */
  open(address: string, port: number, receiver: NativeReceiver): number {
    const handle = this.addon.open(this.set, address, port);
    this.receivers.set(handle, receiver);
    return handle;
  }

  /**
   * Puts the calling thread on SCHED_RR at `priority` (1–99), or back on normal scheduling for 0
   * (ADR 017). Returns 0, or the errno when refused (EPERM: no CAP_SYS_NICE or RLIMIT_RTPRIO).
   */
  schedule(priority: number): number {
    return this.addon.schedule(priority);
  }

  localPort(handle: number): number {
    return this.addon.localPort(this.set, handle);
  }

  close(handle: number): void {
    if (!this.receivers.delete(handle)) return;
    this.addon.close(this.set, handle);
  }

  /** Everything that arrived since the last call, handed to each socket's receiver in arrival order per socket. */
  receive(): number {
    let total = 0;
    for (;;) {
      const result = this.addon.recvAll(this.set, this.recvBytes);
      const count = Math.abs(result);
      let at = 0;
      for (let i = 0; i < count; i++) {
        const w = at >>> 2;
        const length = this.recvWords[w + 3]!;
        const receiver = this.receivers.get(this.recvWords[w]!);
        if (receiver) {
          const data = this.recvBytes.subarray(at + HEADER, at + HEADER + length);
          receiver(data, this.recvWords[w + 1]!, this.recvWords[w + 2]!, this.recvTimes[(at + 16) >>> 3]!);
        }
        at += HEADER + ((length + 7) & ~7);
      }
      total += count;
      if (result >= 0) return total;
    }
  }

  /** Queues a packet for this tick's `flush`; `onError` gets the errno of a packet the kernel refused. */
  queue(
    handle: number,
    ip4: number,
    port: number,
    packet: Uint8Array,
    onError: (errno: number) => void,
  ): void {
    const length = packet.length;
    if (length > MAX_DATAGRAM)
      throw new MediaError('MEDIA_BAD_REQUEST', `a ${length}-byte RTP packet is too large`);
    const size = HEADER + ((length + 7) & ~7);
    if (this.sendUsed + size > this.sendBytes.length) this.flush();
    const at = this.sendUsed;
    const w = at >>> 2;
    this.sendWords[w] = handle;
    this.sendWords[w + 1] = ip4;
    this.sendWords[w + 2] = port;
    this.sendWords[w + 3] = length;
    this.sendBytes.set(packet, at + HEADER);
    this.senders.push(onError);
    this.sendUsed += size;
    this.sendCount++;
  }

  /** Sends every queued packet (one call into the addon). */
  flush(): void {
    if (this.sendCount === 0) return;
    const count = this.sendCount;
    this.sendUsed = 0;
    this.sendCount = 0;
    // The queue is emptied first: a batch the addon refuses (a bug) must not be retried every tick.
    try {
      const failed = this.addon.sendBatch(this.set, this.sendBytes, count);
      if (failed > 0) {
        let at = 0;
        for (let i = 0; i < count; i++) {
          const w = at >>> 2;
          const errno = this.sendWords[w + 4]!;
          if (errno !== 0) this.senders[i]!(errno);
          at += HEADER + ((this.sendWords[w + 3]! + 7) & ~7);
        }
      }
    } finally {
      this.senders.length = 0;
    }
  }

  /** Datagrams dropped as larger than 2,048 bytes, and receive errors, since the set was made. */
  get counters(): { truncated: number; receiveErrors: number } {
    const [truncated, receiveErrors] = this.addon.counters(this.set);
    return { truncated, receiveErrors };
  }

  /** Closes every socket still open (worker shutdown). */
  closeAll(): void {
    for (const handle of [...this.receivers.keys()]) this.close(handle);
  }
}
