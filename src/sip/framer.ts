/**
 * Cuts a TCP (or TLS) byte stream into SIP messages by Content-Length (RFC 3261 §18.3), whatever
 * the chunking: one message over many reads, many messages in one read, or both. CRLFs between
 * messages are skipped (§7.5) and a double-CRLF keep-alive ping (RFC 5626 §3.5.1) is reported so
 * the transport can answer with a single CRLF. A framing error is fatal for the connection ("the
 * framing error is not recoverable", RFC 4475 §3.3.9): it comes out as an `error` frame after the
 * complete messages that preceded it in the stream — those are still good and must be handled
 * (RFC 4475 §3.1.2.9 dblreq: over a stream the octets past Content-Length are the next message) —
 * and the transport closes the connection, after answering with the error's salvage if there is one.
 *
 * WebSocket (RFC 7118) needs no framer: each message is one SIP message, parsed as a datagram.
 */
import { type Salvage, SipError } from './errors';
import { parseContentLength } from './fields';
import type { Headers } from './headers';
import { DEFAULT_MAX_MESSAGE_BYTES, findHeaderEnd, readHeaderSection, salvageOf } from './parser';

export type Frame =
  | { readonly kind: 'message'; readonly data: Buffer }
  | { readonly kind: 'keepalive' }
  /** The stream cannot be framed past this point: always the last frame, and all a later push returns. */
  | { readonly kind: 'error'; readonly error: SipError };

export interface FramerOptions {
  /** Largest message (headers and body) accepted; a larger one fails with 513. Default 65535. */
  maxMessageBytes?: number;
}

export class StreamFramer {
  private readonly max: number;
  // A growable byte queue: `buf[start, end)` holds unread bytes; capacity doubles, so a message
  // that trickles in one byte at a time is still copied a bounded number of times.
  private buf: Buffer = Buffer.alloc(0);
  private start = 0;
  private end = 0;
  /** Where the blank-line search resumes, so a slow header section is not rescanned. */
  private scanFrom = 0;
  /** Once the headers are read: the total size of the pending message. */
  private pending: number | undefined;
  private failed: SipError | undefined;

  constructor(options: FramerOptions = {}) {
    this.max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  /** Bytes received but not yet part of a complete message. */
  get buffered(): number {
    return this.end - this.start;
  }

  /**
   * Feeds bytes from the stream; returns the complete frames they finish, in order. A framing
   * error ends the list as an `error` frame, after the messages cut before it (once it threw and
   * lost them, answering none of a chunk's good requests).
   */
  push(chunk: Uint8Array): Frame[] {
    if (this.failed) return [{ kind: 'error', error: this.failed }];
    this.append(chunk);
    const frames: Frame[] = [];
    try {
      for (;;) {
        const frame = this.next();
        if (!frame) break;
        frames.push(frame);
      }
    } catch (error) {
      if (!(error instanceof SipError)) throw error;
      this.failed = error;
      frames.push({ kind: 'error', error });
    }
    return frames;
  }

  private append(chunk: Uint8Array): void {
    const needed = this.end - this.start + chunk.length;
    if (this.end + chunk.length > this.buf.length) {
      if (needed <= this.buf.length && this.start > 0) {
        this.buf.copy(this.buf, 0, this.start, this.end);
      } else {
        const grown = Buffer.alloc(Math.max(needed, this.buf.length * 2, 4096));
        this.buf.copy(grown, 0, this.start, this.end);
        this.buf = grown;
      }
      this.scanFrom -= this.start;
      this.end -= this.start;
      this.start = 0;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  private next(): Frame | undefined {
    if (this.pending === undefined) {
      // Between messages: CRLFs are skipped; CRLF CRLF is a keep-alive ping.
      while (this.start < this.end && (this.buf[this.start] === 13 || this.buf[this.start] === 10)) {
        const available = this.end - this.start;
        const probe = this.buf.toString('latin1', this.start, this.start + Math.min(available, 4));
        if (probe === '\r\n\r\n') {
          this.consume(4);
          return { kind: 'keepalive' };
        }
        // Possibly the first part of a ping whose rest has not arrived yet.
        if (available < 4 && '\r\n\r\n'.startsWith(probe)) return undefined;
        this.consume(probe.startsWith('\r\n') ? 2 : 1);
      }
      if (this.start === this.end) return undefined;
      const view = this.buf.subarray(this.start, this.end);
      const found = findHeaderEnd(view, Math.max(0, this.scanFrom - this.start - 3));
      if (!found) {
        this.scanFrom = this.end;
        if (this.end - this.start > this.max)
          throw new SipError('SIP_PARSE_TOO_LARGE', 513, 'Message Too Large');
        return undefined;
      }
      const section = readHeaderSection(view.toString('utf8', 0, found.headEnd));
      const salvage = salvageOf(section.startLine, section.headers);
      const total = found.bodyStart + contentLength(section.headers, salvage);
      if (total > this.max) throw new SipError('SIP_PARSE_TOO_LARGE', 513, 'Message Too Large', { salvage });
      this.pending = total;
    }
    if (this.end - this.start < this.pending) return undefined;
    const data = Buffer.from(this.buf.subarray(this.start, this.start + this.pending));
    this.consume(this.pending);
    this.pending = undefined;
    return { kind: 'message', data };
  }

  private consume(n: number): void {
    this.start += n;
    this.scanFrom = this.start;
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
      this.scanFrom = 0;
    }
  }
}

/**
 * §18.3: "In the case of stream-oriented transports such as TCP, the Content-Length header field
 * indicates the size of the body. The Content-Length header field MUST be used with
 * stream oriented transports." Missing, repeated or malformed, the stream cannot be framed.
 */
function contentLength(headers: Headers, salvage: Salvage): number {
  const values = headers.getAll('content-length');
  if (values.length > 1) {
    throw new SipError('SIP_PARSE_DUPLICATE_HEADER', 400, 'Multiple Content-Length headers', { salvage });
  }
  const value = values[0];
  if (value === undefined)
    throw new SipError('SIP_PARSE_CONTENT_LENGTH', 400, 'Missing Content-Length', { salvage });
  try {
    return parseContentLength(value);
  } catch (error) {
    if (error instanceof SipError)
      throw new SipError(error.code, error.status, error.reason, { salvage, cause: error });
    throw error;
  }
}
