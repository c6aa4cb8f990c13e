import { MediaError } from './errors';
import { decodeG711, encodeG711, type G711Law } from './g711';

/**
 * RIFF/WAVE reading and writing for prompts and recordings: 16-bit PCM (format tag 1) mono
 * or stereo, G.711 A-law (tag 6) and µ-law (tag 7), and WAVE_FORMAT_EXTENSIBLE wrapping any
 * of them; plus headerless .ulaw/.alaw files. A data chunk whose size says 0 or runs past
 * the end of the file (a recording cut short by a crash) is read to the end of the file.
 */

export const WAVE_FORMAT_PCM = 1;
export const WAVE_FORMAT_ALAW = 6;
export const WAVE_FORMAT_MULAW = 7;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

export type WavEncoding = 'pcm16' | G711Law;

export interface WavInfo {
  encoding: WavEncoding;
  channels: number;
  sampleRate: number;
  /** Offset of the data chunk's payload in the file, and its length in bytes. */
  dataOffset: number;
  dataLength: number;
}

export interface Audio {
  sampleRate: number;
  channels: number;
  /** Interleaved 16-bit samples. */
  samples: Int16Array;
}

function ascii(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!);
}

export function parseWavHeader(bytes: Uint8Array): WavInfo {
  if (bytes.length < 12 || ascii(bytes, 0) !== 'RIFF' || ascii(bytes, 8) !== 'WAVE') {
    throw new MediaError('MEDIA_BAD_FILE', 'not a RIFF/WAVE file');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 12;
  let format: { tag: number; channels: number; sampleRate: number; bits: number } | undefined;
  while (offset + 8 <= bytes.length) {
    const id = ascii(bytes, offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.length)
        throw new MediaError('MEDIA_BAD_FILE', 'WAV fmt chunk too short');
      let tag = view.getUint16(body, true);
      if (tag === WAVE_FORMAT_EXTENSIBLE && size >= 40) tag = view.getUint16(body + 24, true); // SubFormat GUID's first two bytes
      format = {
        tag,
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      if (!format) throw new MediaError('MEDIA_BAD_FILE', 'WAV data chunk before its fmt chunk');
      const available = bytes.length - body;
      const dataLength = size === 0 || size > available ? available : size;
      let encoding: WavEncoding;
      if (format.tag === WAVE_FORMAT_PCM && format.bits === 16) encoding = 'pcm16';
      else if (format.tag === WAVE_FORMAT_MULAW && format.bits === 8) encoding = 'pcmu';
      else if (format.tag === WAVE_FORMAT_ALAW && format.bits === 8) encoding = 'pcma';
      else {
        throw new MediaError(
          'MEDIA_UNSUPPORTED_FORMAT',
          `WAV format tag ${format.tag} with ${format.bits} bits is not supported (16-bit PCM, A-law or µ-law only)`,
        );
      }
      if (format.channels < 1 || format.channels > 2) {
        throw new MediaError(
          'MEDIA_UNSUPPORTED_FORMAT',
          `WAV with ${format.channels} channels (mono or stereo only)`,
        );
      }
      return {
        encoding,
        channels: format.channels,
        sampleRate: format.sampleRate,
        dataOffset: body,
        dataLength,
      };
    }
    // RIFF chunks are word-aligned: an odd-sized chunk is followed by a pad byte.
    offset = body + size + (size & 1);
  }
  throw new MediaError('MEDIA_BAD_FILE', 'WAV file has no data chunk');
}

export function decodeWav(bytes: Uint8Array): Audio {
  const info = parseWavHeader(bytes);
  const data = bytes.subarray(info.dataOffset, info.dataOffset + info.dataLength);
  let samples: Int16Array;
  if (info.encoding === 'pcm16') {
    const count = Math.floor(data.length / 2);
    samples = new Int16Array(count);
    const view = new DataView(data.buffer, data.byteOffset, count * 2);
    for (let i = 0; i < count; i++) samples[i] = view.getInt16(i * 2, true);
  } else {
    samples = decodeG711(info.encoding, data);
  }
  const whole = samples.length - (samples.length % info.channels);
  return { sampleRate: info.sampleRate, channels: info.channels, samples: samples.subarray(0, whole) };
}

export interface WavHeaderOptions {
  encoding: WavEncoding;
  channels: number;
  sampleRate: number;
  /** Bytes of audio that follow the header. */
  dataLength: number;
}

/**
 * The header for a WAV file. PCM gets the canonical 44-byte header; G.711 gets an 18-byte fmt
 * chunk and the fact chunk that RIFF requires for non-PCM formats (58 bytes in all), as sox writes them.
 */
export function wavHeader(o: WavHeaderOptions): Uint8Array {
  const pcm = o.encoding === 'pcm16';
  const bytesPerSample = pcm ? 2 : 1;
  const fmtSize = pcm ? 16 : 18;
  const factSize = pcm ? 0 : 12;
  const headerSize = 12 + 8 + fmtSize + factSize + 8;
  const out = new Uint8Array(headerSize);
  const view = new DataView(out.buffer);
  const put = (at: number, s: string) => {
    for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i);
  };
  put(0, 'RIFF');
  view.setUint32(4, headerSize - 8 + o.dataLength + (o.dataLength & 1), true);
  put(8, 'WAVE');
  put(12, 'fmt ');
  view.setUint32(16, fmtSize, true);
  view.setUint16(
    20,
    pcm ? WAVE_FORMAT_PCM : o.encoding === 'pcmu' ? WAVE_FORMAT_MULAW : WAVE_FORMAT_ALAW,
    true,
  );
  view.setUint16(22, o.channels, true);
  view.setUint32(24, o.sampleRate, true);
  view.setUint32(28, o.sampleRate * o.channels * bytesPerSample, true);
  view.setUint16(32, o.channels * bytesPerSample, true);
  view.setUint16(34, bytesPerSample * 8, true);
  let at = 36;
  if (!pcm) {
    view.setUint16(36, 0, true); // cbSize
    put(38, 'fact');
    view.setUint32(42, 4, true);
    view.setUint32(46, Math.floor(o.dataLength / o.channels), true); // samples per channel
    at = 50;
  }
  put(at, 'data');
  view.setUint32(at + 4, o.dataLength, true);
  return out;
}

/** Offsets of the two size fields a streaming writer must rewrite, for a header built by `wavHeader`. */
export function wavSizeOffsets(encoding: WavEncoding): { riff: number; data: number; fact?: number } {
  return encoding === 'pcm16' ? { riff: 4, data: 40 } : { riff: 4, data: 54, fact: 46 };
}

/** A whole WAV file for interleaved samples in the chosen encoding. */
export function encodeWav(audio: Audio, encoding: WavEncoding = 'pcm16'): Uint8Array {
  const body = encoding === 'pcm16' ? pcm16Bytes(audio.samples) : encodeG711(encoding, audio.samples);
  const header = wavHeader({
    encoding,
    channels: audio.channels,
    sampleRate: audio.sampleRate,
    dataLength: body.length,
  });
  const out = new Uint8Array(header.length + body.length + (body.length & 1));
  out.set(header, 0);
  out.set(body, header.length);
  return out;
}

/** Little-endian bytes of 16-bit samples. */
export function pcm16Bytes(samples: Int16Array): Uint8Array {
  const out = new Uint8Array(samples.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) view.setInt16(i * 2, samples[i]!, true);
  return out;
}

/** Headerless G.711 at 8 kHz mono, named by extension: .ulaw/.ul/.mulaw/.pcmu or .alaw/.al/.pcma. */
export function rawLawOfPath(path: string): G711Law | undefined {
  const ext = path.toLowerCase().split('.').pop() ?? '';
  if (['ulaw', 'ul', 'mulaw', 'mu', 'pcmu'].includes(ext)) return 'pcmu';
  if (['alaw', 'al', 'pcma'].includes(ext)) return 'pcma';
  return undefined;
}

/**
 * Reads a prompt file's bytes into 8 kHz mono 16-bit samples: WAV (mixed down when stereo)
 * or raw G.711 chosen by the file's extension. Other sample rates are refused with a message
 * that tells how to convert the file, rather than resampled badly.
 */
export function decodePromptFile(path: string, bytes: Uint8Array): Int16Array {
  const law = rawLawOfPath(path);
  if (law) return decodeG711(law, bytes);
  const audio = decodeWav(bytes);
  if (audio.sampleRate !== 8000) {
    throw new MediaError(
      'MEDIA_UNSUPPORTED_FORMAT',
      `${path} is sampled at ${audio.sampleRate} Hz; telephone prompts must be 8000 Hz (sox in.wav -r 8000 -c 1 out.wav)`,
    );
  }
  if (audio.channels === 1) return audio.samples;
  const mono = new Int16Array(audio.samples.length / 2);
  for (let i = 0; i < mono.length; i++) mono[i] = (audio.samples[2 * i]! + audio.samples[2 * i + 1]!) >> 1;
  return mono;
}
