/**
 * The message mutator shared by the fuzz test (thousands of inputs in `npm test`) and the fuzz
 * benchmark (a million and more): deterministic for a seed, so a crash is reproduced by its seed
 * and index. Mutations are the ones that find parser bugs in practice: bit flips, truncation,
 * duplication and deletion of slices, header lines spliced from other messages, boundary numbers,
 * broken line ends and folding, and long runs of delimiter characters.
 */

/** A small, fast, seeded PRNG (mulberry32); not for anything secret. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const interestingBytes = Buffer.from(':;,"<>\r\n \t%\\@/=?[]\x00\xff');
const boundaryNumbers = [
  '0',
  '-1',
  '00',
  '255',
  '256',
  '65535',
  '65536',
  '2147483648',
  '4294967296',
  '99999999999999999999999',
];
const insertions = [
  '\r\n',
  '\n',
  '\r\n ',
  '\r\n\r\n',
  ';',
  ';;',
  ',',
  ',,',
  '"',
  '<',
  '>',
  '%',
  '%0',
  '%zz',
  '\\',
  ' ',
  '@',
  ':',
  'sip:',
  '<sip:x@y>',
  ';tag=',
  ';branch=z9hG4bK',
  'SIP/2.0',
  'Content-Length: 10\r\n',
  'l: 99999\r\n',
  'Via: SIP/2.0/UDP h\r\n',
];

type Random = () => number;

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function at(random: Random, length: number): number {
  return Math.floor(random() * (length + 1));
}

function lines(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 10) {
      out.push(buf.subarray(start, i + 1));
      start = i + 1;
    }
  }
  if (start < buf.length) out.push(buf.subarray(start));
  return out;
}

type Mutation = (random: Random, input: Buffer, corpus: readonly Buffer[]) => Buffer;

const mutations: readonly Mutation[] = [
  // bit flips
  (random, input) => {
    const out = Buffer.from(input);
    const flips = 1 + Math.floor(random() * 8);
    for (let i = 0; i < flips && out.length > 0; i++)
      out[Math.floor(random() * out.length)]! ^= 1 << Math.floor(random() * 8);
    return out;
  },
  // bytes set to delimiters and controls
  (random, input) => {
    const out = Buffer.from(input);
    const n = 1 + Math.floor(random() * 4);
    for (let i = 0; i < n && out.length > 0; i++)
      out[Math.floor(random() * out.length)] = pick(random, [...interestingBytes]);
    return out;
  },
  // truncation
  (random, input) => input.subarray(0, at(random, input.length)),
  // duplicate a slice in place
  (random, input) => {
    const start = at(random, input.length);
    const end = Math.min(input.length, start + Math.floor(random() * 200));
    return Buffer.concat([input.subarray(0, end), input.subarray(start, end), input.subarray(end)]);
  },
  // delete a slice
  (random, input) => {
    const start = at(random, input.length);
    const end = Math.min(input.length, start + Math.floor(random() * 64));
    return Buffer.concat([input.subarray(0, start), input.subarray(end)]);
  },
  // splice a header line from another message
  (random, input, corpus) => {
    const target = lines(input);
    const donor = lines(pick(random, corpus));
    const line = pick(random, donor.length > 1 ? donor.slice(1) : donor);
    if (!line) return input;
    const index = 1 + Math.floor(random() * Math.max(1, target.length - 1));
    if (random() < 0.5) target.splice(index, 0, line);
    else target.splice(index, 1, line);
    return Buffer.concat(target);
  },
  // duplicate or swap whole lines
  (random, input) => {
    const target = lines(input);
    if (target.length < 2) return input;
    const a = Math.floor(random() * target.length);
    const b = Math.floor(random() * target.length);
    if (random() < 0.5) target.splice(b, 0, target[a]!);
    else [target[a], target[b]] = [target[b]!, target[a]!];
    return Buffer.concat(target);
  },
  // a run of digits replaced by a boundary number
  (random, input) => {
    const text = input.toString('latin1');
    const runs = [...text.matchAll(/\d+/g)];
    if (runs.length === 0) return input;
    const run = pick(random, runs);
    const index = run.index ?? 0;
    return Buffer.from(
      text.slice(0, index) + pick(random, boundaryNumbers) + text.slice(index + run[0].length),
      'latin1',
    );
  },
  // insertion of delimiters, line breaks, folding, partial headers
  (random, input) => {
    const index = at(random, input.length);
    return Buffer.concat([
      input.subarray(0, index),
      Buffer.from(pick(random, insertions), 'latin1'),
      input.subarray(index),
    ]);
  },
  // a long run of one character (quadratic-time traps)
  (random, input) => {
    const index = at(random, input.length);
    const run = Buffer.alloc(256 + Math.floor(random() * 4096), pick(random, [...interestingBytes, 0x41]));
    return Buffer.concat([input.subarray(0, index), run, input.subarray(index)]);
  },
  // line ends: CRLF to LF, or CR dropped
  (random, input) =>
    Buffer.from(input.toString('latin1').replace(random() < 0.5 ? /\r\n/g : /\r/g, '\n'), 'latin1'),
];

/** One mutated input: 1 to 4 mutations applied to a message drawn from the corpus. */
export function mutateMessage(random: Random, corpus: readonly Buffer[]): Buffer {
  let out = pick(random, corpus);
  const rounds = 1 + Math.floor(random() * 4);
  for (let i = 0; i < rounds; i++) out = pick(random, mutations)(random, out, corpus);
  return out;
}
