import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamPart } from './support/pcap';
import {
  callIvr,
  canBind,
  channelSamples,
  deskPhone,
  type IvrCall,
  registerPhone,
  toneBlocks,
} from './support/phones';
import { freeUdpPort, runSipp, sippFixtures } from './support/sipp';
import { startTestTeller, type TestTeller } from './support/teller';

/**
 * Voice contacts from the queue to people's phones, end to end over SIP and RTP with SIPp: a
 * customer calls the phone-banking line from a carrier trunk (127.0.0.2) and presses 0 for an
 * agent; the ACD offers the call to agent01, whose desk phone (extension 1001, SIPp) rings with
 * the interaction in X-Teller-Interaction, answers, and is bridged to the caller. The supervisor
 * (super01, extension 1100) then listens, whispers and barges. Every party's voice is a tone of
 * its own (caller 440 Hz, agent 1000 Hz, supervisor 1700 Hz), so what each one heard is read
 * from recordings of their legs: right channel = what the leg was sent.
 */

const zhang = '13800000001';
const tone = (frequency: number, seconds: number): StreamPart[] => [
  { kind: 'tone', frequency, durationMs: seconds * 1000, amplitude: 6000 },
];

let teller: TestTeller;
let agentToken: string;
let superToken: string;
let agentId: string;
let agentPort: number;
let superPort: number;
/** Where the carrier trunk's far end (SIPp) answers the numbers Teller dials out. */
let trunkPort: number;

async function api<T>(token: string, method: string, url: string, body?: unknown): Promise<T> {
  const response = await teller.call(method, url, { token, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${url}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

interface LiveCall {
  id: string;
  connectedTo: string | null;
  interactionId: string | null;
  joined: { party: string; mode: string }[];
}

async function liveCall(callId: string): Promise<LiveCall | undefined> {
  const { calls } = await api<{ calls: LiveCall[] }>(superToken, 'GET', '/api/v1/calls');
  return calls.find((c) => c.id === callId);
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      const agent = agentId ? teller.acd.engine.agentState(agentId) : null;
      const media = JSON.stringify((await teller.calls.legMedia()).map((l) => [l.party, l.endpoint]));
      throw new Error(
        `timed out waiting for ${what}; media ${media}; calls ${JSON.stringify(teller.calls.list())}; agent ${JSON.stringify(agent)}; ` +
          `line ${JSON.stringify(
            teller.calls.list().map((c) => {
              const l = teller.ivr.call(c.id);
              return [l?.state, l?.session?.path, l?.session?.state];
            }),
          )}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The caller asks for an agent (main menu, 0) and talks with a tone once connected. */
function askForAgent(caller: string, voiceSeconds: number): Promise<IvrCall> {
  return callIvr(teller, {
    caller,
    address: '127.0.0.2',
    steps: [{ step: 'main-menu', when: 'prompt', keys: '0' }],
    later: [tone(440, voiceSeconds)],
  });
}

/**
 * A port for the carrier trunk's far end that other test files will not draw meanwhile: outside
 * the kernel's ephemeral range (where `freeUdpPort` and SIPp's media ports come from) and
 * Teller's RTP range. Teller is told of it at start; SIPp binds it only in the callback test,
 * minutes later, so an ephemeral port could be another file's phone by then.
 */
async function quietPort(): Promise<number> {
  for (;;) {
    const port = 15_000 + Math.floor(Math.random() * 5_000);
    if (await canBind(port)) return port;
  }
}

/** agent01 ready for the next contact: any wrap-up ended, Ready again. */
async function readyAgain(): Promise<void> {
  await until('agent01 ready again', async () => {
    const state = teller.acd.engine.agentState(agentId).state;
    if (state.kind === 'wrap-up') {
      await api(agentToken, 'POST', `/api/v1/acd/interactions/${state.interactionId}/wrap-up/end`, {});
    }
    if (teller.acd.engine.agentState(agentId).state.kind === 'not-ready') {
      await api(agentToken, 'POST', '/api/v1/acd/me/ready');
    }
    return teller.acd.engine.agentState(agentId).state.kind === 'ready';
  });
}

/** Media counters of a party's leg in the call (by extension or number). */
async function leg(callId: string, party: string) {
  return (await teller.calls.legMedia()).find((l) => l.callId === callId && l.party === party);
}

/** The call's legs as Teller holds them (a test hook): the endpoints to record. */
function legsOf(callId: string) {
  const call = [...teller.calls.calls].find((c) => c.record.id === callId);
  if (!call) throw new Error(`no call ${callId}`);
  return { caller: call.a, agent: call.b, joined: [...call.joined.keys()] };
}

beforeAll(async () => {
  trunkPort = await quietPort();
  teller = await startTestTeller({
    env: {
      TELLER_SIP_TRUSTED_ADDRESSES: '127.0.0.2',
      TELLER_SIP_DIGEST_ALGORITHMS: 'MD5',
      TELLER_SIP_OUTBOUND_TRUNK: `127.0.0.1:${trunkPort}`,
    },
  });
  agentPort = await freeUdpPort();
  superPort = await freeUdpPort();
  await registerPhone(teller, '1001', agentPort);
  await registerPhone(teller, '1100', superPort);
  agentToken = await teller.login('agent01');
  superToken = await teller.login('super01');
  agentId = (await api<{ user: { id: string } }>(agentToken, 'GET', '/api/v1/auth/me')).user.id;
  await api(agentToken, 'POST', '/api/v1/acd/me/login');
}, 180_000);

afterAll(async () => {
  await teller?.close();
});

describe('voice contacts: queue → agent phone → supervisor', () => {
  it('rings the agent with the interaction, bridges both ways and records; a transfer to another queue parks the caller again and wraps the agent up', async () => {
    await api(agentToken, 'POST', '/api/v1/acd/me/ready');
    const phone = await deskPhone(teller, {
      extension: '1001',
      port: agentPort,
      voice: tone(1000, 30),
      interaction: '[0-9A-Za-z_-]+',
    });
    const call = await askForAgent(zhang, 30);
    const callId = call.record.id;

    await until('the agent to be connected', async () => (await liveCall(callId))?.connectedTo === '1001');
    const connected = (await liveCall(callId))!;
    const interactionId = connected.interactionId!;
    expect(interactionId).toBeTruthy();
    expect(teller.acd.engine.interactionState(interactionId)).toMatchObject({ state: 'connected', agentId });
    expect(teller.acd.engine.agentState(agentId).state.kind).toBe('busy');

    // Both ways, from the server's counters: the caller's leg hears the agent and the agent's the caller.
    await call.next();
    await until('audio both ways', async () => {
      const customer = await leg(callId, zhang);
      const agent = await leg(callId, '1001');
      return (
        !!customer &&
        !!agent &&
        customer.endpoint.packetsIn > 100 &&
        agent.endpoint.packetsIn > 100 &&
        customer.endpoint.packetsOut > 100 &&
        agent.endpoint.packetsOut > 100
      );
    });

    // Transfer on the customer's behalf to the cards queue (nobody ready there): the agent's phone
    // is released, the agent wraps up, the caller waits again with a new interaction.
    const moved = await api<{ interactionId: string }>(
      agentToken,
      'POST',
      `/api/v1/interactions/${interactionId}/transfer`,
      { queueId: 'cards' },
    );
    const agentPhone = await phone.result;
    expect(agentPhone.status, agentPhone.output).toBe(0);
    expect(teller.acd.engine.agentState(agentId).state.kind).toBe('wrap-up');
    expect(teller.acd.engine.interactionState(moved.interactionId)).toMatchObject({
      state: 'waiting',
      queueId: 'cards',
    });
    expect(await teller.interactions.get(moved.interactionId)).toMatchObject({
      channel: 'voice',
      data: { transferredFrom: interactionId, intent: 'agent-request' },
    });
    expect((await liveCall(callId))?.connectedTo).toBeNull();

    // The caller leaves while waiting: the new interaction is abandoned and closed.
    const sipp = await call.hangUp();
    expect(sipp.status, sipp.output).toBe(0);
    await until(
      'the transferred contact to leave the ACD',
      () => !teller.acd.engine.hasInteraction(moved.interactionId),
    );
    expect(await teller.interactions.get(moved.interactionId)).toMatchObject({ state: 'closed' });

    // The recording: the caller (left) said 440 Hz, and heard the agent's 1000 Hz (right).
    const row = await teller.store.db
      .selectFrom('call_records')
      .select(['recording_path', 'interaction_id'])
      .where('id', '=', callId)
      .executeTakeFirstOrThrow();
    expect(toneBlocks(channelSamples(row.recording_path!, 1), 440)).toBeGreaterThan(25);
    expect(toneBlocks(channelSamples(row.recording_path!, 2), 1000)).toBeGreaterThan(25);
    await api(agentToken, 'POST', `/api/v1/acd/interactions/${interactionId}/wrap-up/end`, {});
  }, 300_000);

  it('the supervisor monitors, whispers and barges: each voice reaches exactly the parties it should', async () => {
    await until('agent01 ready again', async () => {
      const state = teller.acd.engine.agentState(agentId).state.kind;
      if (state === 'not-ready') await api(agentToken, 'POST', '/api/v1/acd/me/ready');
      return teller.acd.engine.agentState(agentId).state.kind === 'ready';
    });
    const phone = await deskPhone(teller, { extension: '1001', port: agentPort, voice: tone(1000, 60) });
    const call = await askForAgent(zhang, 60);
    const callId = call.record.id;
    await until('the agent to be connected', async () => (await liveCall(callId))?.connectedTo === '1001');
    await call.next();
    const supervisorPhone = await deskPhone(teller, {
      extension: '1100',
      port: superPort,
      voice: tone(1700, 60),
    });

    const media = teller.media;
    const dir = mkdtempSync(path.join(tmpdir(), 'teller-supervise-'));
    const agentEndpoint = legsOf(callId).agent!.endpoint.id;
    const agentRecording = await media.record(agentEndpoint, { path: `${dir}/agent.wav` });
    // The caller's side on a recording of its own too, as short as the others: a long recording
    // drifts from the wall clock when a loaded media worker skips ticks. (An endpoint has one
    // recording at a time, so the call's own one ends here.)
    const callInside = [...teller.calls.calls].find((c) => c.record.id === callId)!;
    await media.stopRecording(callInside.recordingId!);
    callInside.recordingId = undefined;
    const callerRecording = await media.record(legsOf(callId).caller.endpoint.id, {
      path: `${dir}/caller.wav`,
    });

    /** Phases by wall clock: [start, end) of each mode, read later from the recordings. */
    const phases: Record<string, [number, number]> = {};
    let supervisorRecording: Awaited<ReturnType<typeof media.record>> | undefined;
    for (const mode of ['monitor', 'whisper', 'barge'] as const) {
      await api(superToken, 'POST', `/api/v1/calls/${callId}/supervise`, { mode });
      const start = Date.now();
      if (!supervisorRecording) {
        const supervisorLeg = legsOf(callId).joined[0]!;
        supervisorRecording = await media.record(supervisorLeg.endpoint.id, {
          path: `${dir}/supervisor.wav`,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 4000));
      phases[mode] = [start, Date.now()];
    }
    expect((await liveCall(callId))?.joined).toEqual([{ party: '1100', mode: 'barge' }]);
    await media.stopRecording(callerRecording);
    const callerStop = Date.now();
    await media.stopRecording(agentRecording);
    const agentStop = Date.now();
    await media.stopRecording(supervisorRecording!);
    const supervisorStop = Date.now();

    // The agent ends the contact on the desktop: every leg is hung up and the agent wraps up.
    const interactionId = (await liveCall(callId))!.interactionId!;
    await api(agentToken, 'POST', `/api/v1/acd/interactions/${interactionId}/release`, {});
    const caller = await call.result;
    expect(caller.status, caller.output).toBe(0);
    expect((await phone.result).status).toBe(0);
    expect((await supervisorPhone.result).status).toBe(0);
    expect(teller.acd.engine.agentState(agentId).state.kind).toBe('wrap-up');

    // Each recording's first sample is as long before its stop as the file is long: its start lags
    // the request by however long the media worker took (more under load), its stop does not.
    const endingAt = (samples: Int16Array, stoppedAt: number) => ({
      samples,
      start: stoppedAt - (samples.length / 8000) * 1000,
    });
    const heard = {
      caller: endingAt(channelSamples(`${dir}/caller.wav`, 2), callerStop),
      agent: endingAt(channelSamples(`${dir}/agent.wav`, 2), agentStop),
      supervisor: endingAt(channelSamples(`${dir}/supervisor.wav`, 2), supervisorStop),
    };
    /** Blocks with the tone in the middle of a phase (a second of margin either side). */
    const blocks = (who: keyof typeof heard, mode: string, frequency: number) => {
      const { samples, start } = heard[who];
      const [from, to] = phases[mode]!;
      const at = (t: number) => Math.max(0, Math.round(((t - start) / 1000) * 8000));
      return toneBlocks(samples.subarray(at(from + 1000), at(to - 500)), frequency, 0.3);
    };
    const CALLER = 440;
    const AGENT = 1000;
    const SUPERVISOR = 1700;
    // Monitor: the supervisor hears both; nobody hears the supervisor.
    expect(blocks('supervisor', 'monitor', CALLER)).toBeGreaterThan(40);
    expect(blocks('supervisor', 'monitor', AGENT)).toBeGreaterThan(40);
    expect(blocks('caller', 'monitor', SUPERVISOR)).toBe(0);
    expect(blocks('agent', 'monitor', SUPERVISOR)).toBe(0);
    expect(blocks('caller', 'monitor', AGENT)).toBeGreaterThan(40);
    // Whisper: the agent hears the supervisor, the caller does not.
    expect(blocks('agent', 'whisper', SUPERVISOR)).toBeGreaterThan(40);
    expect(blocks('agent', 'whisper', CALLER)).toBeGreaterThan(40);
    expect(blocks('caller', 'whisper', SUPERVISOR)).toBe(0);
    expect(blocks('caller', 'whisper', AGENT)).toBeGreaterThan(40);
    // Barge: both hear the supervisor.
    expect(blocks('caller', 'barge', SUPERVISOR)).toBeGreaterThan(40);
    expect(blocks('agent', 'barge', SUPERVISOR)).toBeGreaterThan(40);
  }, 300_000);

  it('the agent sends the caller to the IVR for her PIN: the agent hears hold music, not her, and gets her back verified', async () => {
    await readyAgain();
    const phone = await deskPhone(teller, { extension: '1001', port: agentPort, voice: tone(1000, 60) });
    const CALLER = 440;
    // She asks for an agent; later she talks (440 Hz) and keys her PIN in the IVR, then talks again.
    const call = await callIvr(teller, {
      caller: zhang,
      address: '127.0.0.2',
      steps: [{ step: 'main-menu', when: 'prompt', keys: '0' }],
      later: [
        [...tone(CALLER, 3), { kind: 'keys', digits: '123456', keyMs: 160, gapMs: 240 }],
        tone(CALLER, 8),
      ],
    });
    const callId = call.record.id;
    await until('the agent to be connected', async () => (await liveCall(callId))?.connectedTo === '1001');
    const interactionId = (await liveCall(callId))!.interactionId!;
    expect(
      (
        await api<{ data: Record<string, unknown> }>(
          agentToken,
          'GET',
          `/api/v1/interactions/${interactionId}`,
        )
      ).data,
    ).toMatchObject({ verification: 'caller' });
    const updates: unknown[] = [];
    const stop = teller.bus.on('interaction.updated', (e) => {
      if (e.payload.interactionId === interactionId) updates.push(e.payload.changes);
    });

    // What the agent is sent, from here to the end.
    const dir = mkdtempSync(path.join(tmpdir(), 'teller-verify-'));
    const agentRecording = await teller.media.record(legsOf(callId).agent!.endpoint.id, {
      path: `${dir}/agent.wav`,
    });

    const started = await teller.call('POST', `/api/v1/interactions/${interactionId}/verification`, {
      token: agentToken,
    });
    expect(started.status).toBe(202);
    expect(await started.json()).toEqual({ interactionId, verificationState: 'in-progress' });
    // A second request while she is keying is refused.
    const again = await teller.call('POST', `/api/v1/interactions/${interactionId}/verification`, {
      token: agentToken,
    });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ code: 'APP_CALL_BUSY' });

    await until('the IVR to ask for her PIN', () => {
      const line = teller.ivr.call(callId);
      return line?.state === 'ivr' && line.session?.path.at(-1) === 'authenticate/pin';
    });
    expect((await liveCall(callId))?.connectedTo).toBe('1001');
    // next() starts her capture: 3 s of her voice, then the keys.
    const asideFrom = Date.now();
    await call.next();
    await until('her verification to reach the agent', async () => {
      const read = await api<{ data: Record<string, unknown> }>(
        agentToken,
        'GET',
        `/api/v1/interactions/${interactionId}`,
      );
      return read.data.verificationState === 'verified';
    });
    const verified = await api<{ data: Record<string, unknown> }>(
      agentToken,
      'GET',
      `/api/v1/interactions/${interactionId}`,
    );
    expect(verified.data).toMatchObject({ verification: 'pin', verificationState: 'verified' });
    expect(verified.data.verificationId).toEqual(expect.any(String));
    // The bank knows that verification: the agent reads her statement with it (a PIN-level read).
    const customerId = (await teller.interactions.get(interactionId)).customerId!;
    const { accounts } = await api<{ accounts: { id: string }[] }>(
      agentToken,
      'GET',
      `/api/v1/customers/${customerId}/accounts`,
    );
    const statement = await teller.call(
      'GET',
      `/api/v1/customers/${customerId}/accounts/${accounts[0]!.id}/transactions?verificationId=${verified.data.verificationId as string}&limit=1`,
      { token: agentToken },
    );
    expect(statement.status).toBe(200);
    // Events said where it stood, never the verification id.
    expect(updates).toContainEqual({ data: { verificationState: 'in-progress' } });
    expect(updates).toContainEqual({ data: { verificationState: 'verified', verification: 'pin' } });
    expect(JSON.stringify(updates)).not.toContain(verified.data.verificationId as string);
    stop();

    // Back together: the agent hears her again.
    const backFrom = Date.now();
    await call.next();
    await new Promise((resolve) => setTimeout(resolve, 6000));
    const backTo = Date.now();
    await teller.media.stopRecording(agentRecording);
    const agentStop = Date.now();
    await api(agentToken, 'POST', `/api/v1/acd/interactions/${interactionId}/release`, {});
    expect((await call.result).status).toBe(0);
    expect((await phone.result).status).toBe(0);

    const heard = channelSamples(`${dir}/agent.wav`, 2);
    // The file's first sample is as long before its stop as the file is long (its start may lag).
    const agentStart = agentStop - (heard.length / 8000) * 1000;
    const at = (t: number) => Math.max(0, Math.round(((t - agentStart) / 1000) * 8000));
    // While she was in the IVR the agent was sent hold music, and neither her voice nor her keys.
    expect(toneBlocks(heard.subarray(at(asideFrom + 500), at(asideFrom + 3000)), CALLER, 0.3)).toBe(0);
    expect(toneBlocks(heard.subarray(at(backFrom + 1000), at(backTo - 500)), CALLER, 0.3)).toBeGreaterThan(
      20,
    );
    const answer = await teller.call('POST', `/api/v1/interactions/${interactionId}/verification`, {
      token: agentToken,
    });
    expect(answer.status).toBe(404);
    expect(await answer.json()).toMatchObject({ code: 'CALL_NOT_FOUND' });
    await api(agentToken, 'POST', `/api/v1/acd/interactions/${interactionId}/wrap-up/end`, {});
  }, 300_000);
  it('a callback rings the agent first, then dials the customer through the outbound trunk and bridges them; a busy number wraps the agent up', async () => {
    await readyAgain();
    const phone = await deskPhone(teller, {
      extension: '1001',
      port: agentPort,
      voice: tone(1000, 30),
      interaction: '[0-9A-Za-z_-]+',
    });
    // The customer's phone behind the carrier: answers and talks (440 Hz).
    const customer = await deskPhone(teller, { extension: zhang, port: trunkPort, voice: tone(440, 30) });
    const { interaction } = await api<{ interaction: { id: string } }>(
      superToken,
      'POST',
      '/api/v1/interactions',
      {
        channel: 'voice',
        direction: 'outbound',
        queueId: 'general',
        data: { callback: true, number: zhang, intent: 'callback-request' },
      },
    );
    let callId = '';
    await until('the agent and the customer to be connected', async () => {
      const live = (
        await api<{ calls: (LiveCall & { caller: string; callee: string })[] }>(
          superToken,
          'GET',
          '/api/v1/calls',
        )
      ).calls;
      const call = live.find((c) => c.interactionId === interaction.id);
      callId = call?.id ?? '';
      return call?.connectedTo === '1001' && call.caller === '1001' && call.callee === zhang;
    });
    expect(teller.acd.engine.interactionState(interaction.id)).toMatchObject({ state: 'connected', agentId });
    await until('audio both ways', async () => {
      const them = await leg(callId, zhang);
      const agent = await leg(callId, '1001');
      return (
        !!them &&
        !!agent &&
        them.endpoint.packetsIn > 100 &&
        agent.endpoint.packetsIn > 100 &&
        them.endpoint.packetsOut > 100 &&
        agent.endpoint.packetsOut > 100
      );
    });
    expect((await teller.interactions.get(interaction.id)).data).toMatchObject({
      callbackOutcome: 'connected',
      callbackAttempts: 1,
      callId,
    });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await api(agentToken, 'POST', `/api/v1/acd/interactions/${interaction.id}/release`, {});
    expect((await phone.result).status).toBe(0);
    expect((await customer.result).status).toBe(0);
    await until('the agent in wrap-up', () => teller.acd.engine.agentState(agentId).state.kind === 'wrap-up');
    // Call records are written behind (group commit): the end lands a moment after the BYE.
    const recordOf = () =>
      teller.store.db
        .selectFrom('call_records')
        .select(['recording_path', 'interaction_id', 'route', 'disposition'])
        .where('id', '=', callId)
        .executeTakeFirstOrThrow();
    await until('the call record ended', async () => (await recordOf()).disposition !== null);
    const row = await recordOf();
    expect(row).toMatchObject({ interaction_id: interaction.id, route: 'callback', disposition: 'answered' });
    // The customer on the left, as on an inbound call; the agent on the right.
    expect(toneBlocks(channelSamples(row.recording_path!, 1), 440)).toBeGreaterThan(10);
    expect(toneBlocks(channelSamples(row.recording_path!, 2), 1000)).toBeGreaterThan(10);

    // A second callback finds the number busy: the agent's phone is hung up, the agent wraps up.
    await readyAgain();
    const again = await deskPhone(teller, { extension: '1001', port: agentPort, voice: tone(1000, 30) });
    const busy = runSipp(
      `127.0.0.1:${teller.sip.port}`,
      ['-sf', path.join(sippFixtures, 'busy-number.xml'), '-p', String(trunkPort), '-m', '1'],
      120_000,
    );
    const second = await api<{ interaction: { id: string } }>(superToken, 'POST', '/api/v1/interactions', {
      channel: 'voice',
      direction: 'outbound',
      queueId: 'general',
      data: { callback: true, number: zhang },
    });
    await until('the busy outcome on the interaction', async () => {
      const data = (await teller.interactions.get(second.interaction.id)).data;
      return data.callbackOutcome === 'busy';
    });
    expect((await busy).status).toBe(0);
    expect((await again.result).status).toBe(0);
    await until('the agent in wrap-up', () => teller.acd.engine.agentState(agentId).state.kind === 'wrap-up');
  }, 300_000);
});
