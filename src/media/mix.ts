/**
 * The arithmetic of mixing 16-bit frames: sums kept in 32 bits and saturated once at the
 * end (clipping each partial sum would distort a loud talker differently depending on
 * the order of the parties), conference mix-minus, and the listen/whisper/barge roles of a
 * supervisor expressed as one "who hears whom" matrix.
 */

export function saturate16(value: number): number {
  return Math.min(32767, Math.max(-32768, value));
}

/** `a + b` sample by sample with saturation, into `out` (which may be `a`). */
export function addSaturating(
  a: Int16Array,
  b: Int16Array,
  out: Int16Array = new Int16Array(a.length),
): Int16Array {
  for (let i = 0; i < out.length; i++) out[i] = saturate16(a[i]! + b[i]!);
  return out;
}

/** Scales by a linear gain with saturation (gain 1 leaves the frame unchanged). */
export function applyGain(frame: Int16Array, gain: number, out: Int16Array = frame): Int16Array {
  for (let i = 0; i < out.length; i++) out[i] = saturate16(Math.round(frame[i]! * gain));
  return out;
}

/**
 * How a party takes part in a mix.
 * - `participant`: hears everyone who speaks to it, is heard by everyone (a conference member; barge = participant).
 * - `listen`: hears everyone, is heard by nobody (supervisor monitoring).
 * - `whisper`: hears everyone, is heard only by `target` (supervisor coaching the agent).
 * - `held`: hears nobody and is heard by nobody (the party is on hold; the call layer plays music to it).
 */
export const mixRoles = ['participant', 'listen', 'whisper', 'barge', 'held'] as const;
export type MixRole = (typeof mixRoles)[number];

export interface MixMember {
  id: string;
  role: MixRole;
  /** For `whisper`: the member who hears this one. */
  target?: string;
}

/** `hears[l][s]`: listener `l` hears speaker `s`. Nobody hears themselves. */
export function hearingMatrix(members: readonly MixMember[]): boolean[][] {
  return members.map((listener) =>
    members.map((speaker) => {
      if (listener === speaker || listener.role === 'held') return false;
      if (speaker.role === 'participant' || speaker.role === 'barge') return true;
      return speaker.role === 'whisper' && speaker.target === listener.id;
    }),
  );
}

/**
 * Mixes one frame per member. `inputs[s]` is what member `s` said this tick (null: nothing
 * arrived), `outputs[l]` receives what member `l` hears. Broadcast speakers are summed once
 * and each listener subtracts its own voice (mix-minus), so a conference of N costs O(N) per
 * sample, not O(N²); directed speech (whisper) is added per listener.
 * Returns, per listener, whether anything was mixed (false means the output is silence), in
 * `heard` when given: a worker mixes every bridge on every tick, so it passes the same array
 * each time, and a mix without whisperers allocates nothing.
 */
export function mixFrames(
  members: readonly MixMember[],
  inputs: readonly (Int16Array | null)[],
  outputs: readonly Int16Array[],
  scratch: Int32Array,
  heard: boolean[] = [],
): boolean[] {
  const n = members.length;
  const size = scratch.length;
  scratch.fill(0);
  let broadcastCount = 0;
  let whisperers = 0;
  for (let s = 0; s < n; s++) {
    const role = members[s]!.role;
    if (role === 'whisper') whisperers++;
    const frame = inputs[s];
    if (!isBroadcast(role) || !frame) continue;
    broadcastCount++;
    for (let i = 0; i < size; i++) scratch[i]! += frame[i]!;
  }
  heard.length = n;
  for (let l = 0; l < n; l++) {
    const out = outputs[l]!;
    const listener = members[l]!;
    if (listener.role === 'held') {
      out.fill(0);
      heard[l] = false;
      continue;
    }
    const own = isBroadcast(listener.role) ? inputs[l] : null;
    const whispers = whisperers > 0 ? whispersTo(members, inputs, l) : noWhispers;
    const any = broadcastCount - (own ? 1 : 0) > 0 || whispers.length > 0;
    // One pass from the unsaturated sum, so that each output is clipped once.
    for (let i = 0; i < size; i++) {
      let v = scratch[i]!;
      if (own) v -= own[i]!;
      for (let w = 0; w < whispers.length; w++) v += whispers[w]![i]!;
      out[i] = Math.min(32767, Math.max(-32768, v));
    }
    heard[l] = any;
  }
  return heard;
}

const noWhispers: readonly Int16Array[] = [];

function isBroadcast(role: MixRole): boolean {
  return role === 'participant' || role === 'barge';
}

/** The frames whispered to listener `l` this tick. */
function whispersTo(
  members: readonly MixMember[],
  inputs: readonly (Int16Array | null)[],
  l: number,
): Int16Array[] {
  const whispers: Int16Array[] = [];
  const listener = members[l]!;
  for (let s = 0; s < members.length; s++) {
    const speaker = members[s]!;
    const frame = inputs[s];
    if (s !== l && frame && speaker.role === 'whisper' && speaker.target === listener.id)
      whispers.push(frame);
  }
  return whispers;
}
