import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EndpointInfo, MediaEngine, ToneGenerator } from '../src/media/index';
import { RtpPeer, toneShare } from './fixtures/media/rtp-peer';

let engine: MediaEngine;
const peers: RtpPeer[] = [];

beforeAll(async () => {
  engine = await MediaEngine.start({ workers: 1, portMin: 34000, portMax: 34999, bindAddress: '127.0.0.1' });
});

afterAll(async () => {
  for (const p of peers) p.close();
  await engine.close();
});

const FREQ = { customer: 500, agent: 1100, supervisor: 1700, fourth: 2300 } as const;
type Who = keyof typeof FREQ;

/** Phones that each talk on their own frequency, so what everyone hears can be told apart. */
async function party(who: Who, near?: EndpointInfo): Promise<{ who: Who; phone: RtpPeer; ep: EndpointInfo }> {
  const phone = await RtpPeer.open();
  peers.push(phone);
  const ep = await engine.createEndpoint(
    near ? { remote: phone.remote, near: near.id } : { remote: phone.remote },
  );
  return { who, phone, ep };
}

async function talkAndListen(
  parties: { who: Who; phone: RtpPeer; ep: EndpointInfo }[],
): Promise<Record<string, Who[]>> {
  for (const p of parties) p.phone.received.length = 0;
  await Promise.all(
    parties.map((p) =>
      p.phone.stream(
        p.ep.port,
        new ToneGenerator({ frequencies: [FREQ[p.who]], levelDbm0: -16 }).generate(8 * 800),
      ),
    ),
  );
  await new Promise((r) => setTimeout(r, 150));
  const heard: Record<string, Who[]> = {};
  for (const p of parties) {
    const audio = p.phone.audio(0);
    heard[p.who] = (Object.keys(FREQ) as Who[]).filter((w) => toneShare(audio, FREQ[w]) > 0.1);
  }
  return heard;
}

describe('mixing over real UDP', () => {
  it('conference: each of four parties hears the three others and not themselves', async () => {
    const customer = await party('customer');
    const others = [
      await party('agent', customer.ep),
      await party('supervisor', customer.ep),
      await party('fourth', customer.ep),
    ];
    const all = [customer, ...others];
    const { mixId } = await engine.mix(all.map((p) => ({ endpointId: p.ep.id })));
    const heard = await talkAndListen(all);
    expect(heard).toEqual({
      customer: ['agent', 'supervisor', 'fourth'],
      agent: ['customer', 'supervisor', 'fourth'],
      supervisor: ['customer', 'agent', 'fourth'],
      fourth: ['customer', 'agent', 'supervisor'],
    });
    await engine.destroyMix(mixId);
    for (const p of all) await engine.closeEndpoint(p.ep.id);
  });

  it('supervisor listens, then whispers to the agent, then barges in — on a bridged call', async () => {
    const customer = await party('customer');
    const agent = await party('agent', customer.ep);
    const supervisor = await party('supervisor', customer.ep);
    const { mixId } = await engine.bridge(customer.ep.id, agent.ep.id);
    await engine.updateMix(mixId, { add: [{ endpointId: supervisor.ep.id, role: 'listen' }] });
    const parties = [customer, agent, supervisor];
    expect(await talkAndListen(parties)).toEqual({
      customer: ['agent'],
      agent: ['customer'],
      supervisor: ['customer', 'agent'],
    });
    await engine.updateMix(mixId, {
      set: [{ endpointId: supervisor.ep.id, role: 'whisper', target: agent.ep.id }],
    });
    expect(await talkAndListen(parties)).toEqual({
      customer: ['agent'],
      agent: ['customer', 'supervisor'],
      supervisor: ['customer', 'agent'],
    });
    await engine.updateMix(mixId, { set: [{ endpointId: supervisor.ep.id, role: 'barge' }] });
    expect(await talkAndListen(parties)).toEqual({
      customer: ['agent', 'supervisor'],
      agent: ['customer', 'supervisor'],
      supervisor: ['customer', 'agent'],
    });
    // Hold: the customer leaves the conversation and gets music instead.
    await engine.updateMix(mixId, { set: [{ endpointId: customer.ep.id, role: 'held' }] });
    await engine.play(customer.ep.id, {
      tone: { frequencies: [FREQ.fourth], levelDbm0: -16 },
      durationMs: 5000,
    });
    expect(await talkAndListen(parties)).toEqual({
      customer: ['fourth'],
      agent: ['supervisor'],
      supervisor: ['agent'],
    });
    await engine.stopPlayback(customer.ep.id);
    await expect(
      engine.mix([{ endpointId: customer.ep.id }, { endpointId: agent.ep.id }]),
    ).rejects.toMatchObject({
      code: 'MEDIA_BAD_STATE',
    });
    await engine.destroyMix(mixId);
    for (const p of parties) await engine.closeEndpoint(p.ep.id);
  });
});
