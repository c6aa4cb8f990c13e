import { describe, expect, it } from 'vitest';
import { addSaturating, applyGain, hearingMatrix, type MixMember, mixFrames } from './mix';

const frame = (value: number, size = 4) => new Int16Array(size).fill(value);

function run(members: MixMember[], inputs: (number | null)[]): { out: number[]; heard: boolean[] } {
  const outputs = members.map(() => new Int16Array(4));
  const heard = mixFrames(
    members,
    inputs.map((v) => (v === null ? null : frame(v))),
    outputs,
    new Int32Array(4),
  );
  return { out: outputs.map((o) => o[0]!), heard };
}

describe('mixing math', () => {
  it('sums with saturation instead of wrapping', () => {
    expect(Array.from(addSaturating(frame(30000), frame(10000)))).toEqual([32767, 32767, 32767, 32767]);
    expect(Array.from(addSaturating(frame(-30000), frame(-10000)))).toEqual([-32768, -32768, -32768, -32768]);
    expect(Array.from(applyGain(frame(20000), 2))).toEqual([32767, 32767, 32767, 32767]);
  });

  it('lets each conference member hear everyone but themselves (mix-minus)', () => {
    const members: MixMember[] = ['a', 'b', 'c', 'd'].map((id) => ({ id, role: 'participant' }));
    expect(run(members, [1, 10, 100, 1000]).out).toEqual([1110, 1101, 1011, 111]);
  });

  it('writes into the heard array it is given, dropping entries of a larger mix from before', () => {
    const members: MixMember[] = [
      { id: 'customer', role: 'participant' },
      { id: 'agent', role: 'held' },
    ];
    const heard = [false, true, true, true];
    const outputs = [new Int16Array(4), new Int16Array(4).fill(7)];
    const returned = mixFrames(members, [null, frame(5)], outputs, new Int32Array(4), heard);
    expect(returned).toBe(heard);
    // The held agent is not heard, so the customer hears nothing; the agent hears nobody.
    expect(heard).toEqual([false, false]);
    expect(Array.from(outputs[1]!)).toEqual([0, 0, 0, 0]);
    mixFrames(
      members.map((m) => ({ ...m, role: 'participant' })),
      [null, frame(5)],
      outputs,
      new Int32Array(4),
      heard,
    );
    expect(heard).toEqual([true, false]);
    expect(Array.from(outputs[0]!)).toEqual([5, 5, 5, 5]);
  });

  it('saturates the final sum once, not each partial sum', () => {
    const members: MixMember[] = ['a', 'b', 'c'].map((id) => ({ id, role: 'participant' }));
    // a hears b + c = 30000 − 20000 = 10000; clipping b alone first would not change it, but
    // order-dependent clipping of (a+b) first would give 32767 − ... for c.
    expect(run(members, [30000, 30000, -20000]).out).toEqual([10000, 10000, 32767]);
  });

  it('supervisor listen: hears both parties, is heard by nobody', () => {
    const members: MixMember[] = [
      { id: 'customer', role: 'participant' },
      { id: 'agent', role: 'participant' },
      { id: 'supervisor', role: 'listen' },
    ];
    expect(run(members, [1, 10, 100]).out).toEqual([10, 1, 11]);
  });

  it('supervisor whisper: only the agent hears the supervisor', () => {
    const members: MixMember[] = [
      { id: 'customer', role: 'participant' },
      { id: 'agent', role: 'participant' },
      { id: 'supervisor', role: 'whisper', target: 'agent' },
    ];
    expect(run(members, [1, 10, 100]).out).toEqual([10, 101, 11]);
  });

  it('supervisor barge: everyone hears everyone', () => {
    const members: MixMember[] = [
      { id: 'customer', role: 'participant' },
      { id: 'agent', role: 'participant' },
      { id: 'supervisor', role: 'barge' },
    ];
    expect(run(members, [1, 10, 100]).out).toEqual([110, 101, 11]);
  });

  it('a held party hears nothing and is heard by nobody', () => {
    const members: MixMember[] = [
      { id: 'a', role: 'participant' },
      { id: 'b', role: 'participant' },
      { id: 'c', role: 'held' },
    ];
    const r = run(members, [1, 10, 100]);
    expect(r.out).toEqual([10, 1, 0]);
    expect(r.heard).toEqual([true, true, false]);
  });

  it('marks a listener that heard nothing (everyone else silent) so that it can be sent silence cheaply', () => {
    const members: MixMember[] = [
      { id: 'a', role: 'participant' },
      { id: 'b', role: 'participant' },
    ];
    expect(run(members, [5, null]).heard).toEqual([false, true]);
  });

  it('agrees with the hearing matrix for every role combination', () => {
    const members: MixMember[] = [
      { id: 'c', role: 'participant' },
      { id: 'a', role: 'participant' },
      { id: 's1', role: 'whisper', target: 'a' },
      { id: 's2', role: 'listen' },
      { id: 's3', role: 'barge' },
    ];
    const matrix = hearingMatrix(members);
    const inputs = [1, 10, 100, 1000, 10000];
    const { out } = run(members, inputs);
    const expected = matrix.map((row) => row.reduce((sum, hears, s) => sum + (hears ? inputs[s]! : 0), 0));
    expect(out).toEqual(expected);
    expect(matrix[0]).toEqual([false, true, false, false, true]);
    expect(matrix[1]).toEqual([true, false, true, false, true]);
  });
});
