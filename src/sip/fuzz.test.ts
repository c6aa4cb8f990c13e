import { describe, expect, it } from 'vitest';
import { fuzzCorpus } from '../../test/fixtures/sip/rfc4475';
import { mutateMessage, seededRandom } from './fuzz';
import {
  getCallId,
  getContacts,
  getContentType,
  getCSeq,
  getFrom,
  getMaxForwards,
  getRecordRoutes,
  getRoutes,
  getTo,
  getVias,
  isSipError,
  parseMessage,
  type SipMessage,
  StreamFramer,
  screenMessage,
  serializeMessage,
} from './index';

/** Valid messages only: every mutation starts from something a real peer could send. */
function corpus(): Buffer[] {
  return fuzzCorpus([
    'wsinv',
    'esc01',
    'escnull',
    'lwsdisp',
    'longreq',
    'semiuri',
    'transports',
    'mpart01',
    'unreason',
    'noreason',
    'intmeth',
    'cparam02',
    'regescrt',
    'inv2543',
  ]);
}

/**
 * Reads every typed header the message has, as the layers above will. The parser checked them
 * all, so none may fail now (an absent one is the validator's business, not the parser's).
 */
function readAll(message: SipMessage): void {
  const readers: [string, (m: SipMessage) => unknown][] = [
    ['via', getVias],
    ['from', getFrom],
    ['to', getTo],
    ['call-id', getCallId],
    ['cseq', getCSeq],
    ['max-forwards', getMaxForwards],
    ['contact', getContacts],
    ['route', getRoutes],
    ['record-route', getRecordRoutes],
    ['content-type', getContentType],
  ];
  for (const [name, read] of readers) if (message.headers.has(name)) read(message);
}

/** Runs `fn`; a SipError is an expected outcome, anything else is a crash worth reporting. */
function outcome(fn: () => void): 'ok' | 'sip-error' | Error {
  try {
    fn();
    return 'ok';
  } catch (error) {
    if (isSipError(error)) return 'sip-error';
    return error instanceof Error ? error : new Error(String(error));
  }
}

describe('fuzzing the parser with mutated valid messages', () => {
  const seed = 4475;
  const inputs = 5000;
  const seeds = corpus();

  it('every corpus message is valid to begin with', () => {
    for (const message of seeds) expect(outcome(() => readAll(parseMessage(message)))).toBe('ok');
  });

  it(`${inputs} inputs: nothing but SipError escapes, and what parses serializes and parses again`, () => {
    const random = seededRandom(seed);
    const crashes: string[] = [];
    const tally = { ok: 0, rejected: 0 };
    for (let n = 0; n < inputs; n++) {
      const input = mutateMessage(random, seeds);
      const note = (where: string, error: Error) => {
        if (crashes.length < 5) crashes.push(`#${n} ${where}: ${error.message}\n${input.toString('base64')}`);
      };
      let parsed: SipMessage | undefined;
      const parse = outcome(() => {
        parsed = parseMessage(input);
      });
      if (parse instanceof Error) note('parseMessage', parse);
      else if (parse === 'sip-error') tally.rejected++;
      else tally.ok++;
      if (parsed) {
        const message = parsed;
        const read = outcome(() => readAll(message));
        if (read instanceof Error) note('typed headers', read);
        if (read === 'sip-error')
          note('typed headers', new Error('a header the parser checked failed to read'));
        const again = outcome(() => parseMessage(serializeMessage(message)));
        if (again !== 'ok')
          note('round trip', again === 'sip-error' ? new Error('serialized form does not parse') : again);
      }
      const screened = outcome(() => void screenMessage(input));
      if (screened !== 'ok')
        note('screenMessage', screened === 'sip-error' ? new Error('screenMessage threw') : screened);
      // The same bytes as a stream, cut at random points, and each frame parsed as TCP would.
      const framer = new StreamFramer();
      const framed = outcome(() => {
        let offset = 0;
        while (offset < input.length) {
          const size = 1 + Math.floor(random() * 300);
          for (const frame of framer.push(input.subarray(offset, offset + size))) {
            if (frame.kind === 'message') {
              const inner = outcome(() => void parseMessage(frame.data, { stream: true }));
              if (inner instanceof Error) throw inner;
            }
          }
          offset += size;
        }
      });
      if (framed instanceof Error) note('StreamFramer', framed);
    }
    expect(crashes).toEqual([]);
    // The mutations must leave a fair share parseable, or the fuzzer tests only the first line.
    expect(tally.ok).toBeGreaterThan(inputs * 0.1);
    expect(tally.rejected).toBeGreaterThan(inputs * 0.1);
  });
});
