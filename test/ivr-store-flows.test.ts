import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { asId, type EventId, VirtualClock } from '../src/core/index';
import {
  FlowRepository,
  LiveFlows,
  openStoreFlows,
  promptText,
  readContainment,
  StoreFlowStorage,
  seedFlows,
} from '../src/ivr/index';
import { EventLog, openStore, type Store } from '../src/store/index';
import { createTestDatabase } from './support/postgres';
import { dialects, type TestDialect } from './support/stores';

const flowsDir = path.resolve(import.meta.dirname, '..', 'flows');
const temp = mkdtempSync(path.join(tmpdir(), 'teller-ivr-flows-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

function document(id: string, name: string, steps: Record<string, unknown> = {}) {
  return {
    format: 1,
    id,
    name,
    defaultLanguage: 'en',
    start: 'bye',
    steps: { bye: { type: 'hangup', prompts: ['goodbye'] }, ...steps },
  };
}

/** A fresh store that can be closed and opened again on the same database. */
async function reopenable(dialect: TestDialect, name: string): Promise<() => Promise<Store>> {
  if (dialect === 'postgres') {
    const databaseUrl = await createTestDatabase(inject('pgUrl'), name);
    return () => openStore({ databaseUrl });
  }
  const sqlitePath = path.join(temp, `${name}.db`);
  return () => openStore({ sqlitePath });
}

const open: Store[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((store) => store.close()));
});

describe.each(dialects)('IVR flows in the store (%s)', (dialect) => {
  let counter = 0;
  async function setup() {
    const opener = await reopenable(dialect, `ivr_flows_${dialect}_${++counter}`);
    const store = await opener();
    open.push(store);
    const clock = new VirtualClock(1_700_000_000_000);
    const published: { type: string; payload: unknown }[] = [];
    const repo = new FlowRepository(new StoreFlowStorage(store), clock, {
      promptExists: (id) => promptText(id) !== undefined,
      publish: async (type, payload) => {
        published.push({ type, payload });
      },
    });
    return { opener, store, clock, repo, published };
  }

  it('stores versions with their documents, who saved them and when, and lists flows in the order they came', async () => {
    const { opener, store, clock, repo, published } = await setup();
    const v1 = await repo.save(document('line', 'Line one'), 'admin-id');
    clock.advance(1_000);
    const other = await repo.save(document('other', 'Other'), 'admin-id');
    clock.advance(1_000);
    const v2 = await repo.save(document('line', 'Line two'), 'ops-id');
    const same = await repo.save(document('line', 'Line two'), 'someone');
    expect([v1.version, other.version, v2.version, same.version]).toEqual([1, 1, 2, 2]);
    expect([v1.created, v2.created, same.created]).toEqual([true, true, false]);
    expect(published.map((e) => e.type)).toEqual(['ivr.flow.saved', 'ivr.flow.saved', 'ivr.flow.saved']);

    await store.close();
    const again = await opener();
    open.push(again);
    const reopened = new FlowRepository(new StoreFlowStorage(again), clock);
    expect(await reopened.list()).toEqual([
      { flowId: 'line', name: 'Line two', latest: 2, active: null },
      { flowId: 'other', name: 'Other', latest: 1, active: null },
    ]);
    const stored = await reopened.get('line', 1);
    expect(stored).toMatchObject({
      flowId: 'line',
      version: 1,
      savedBy: 'admin-id',
      savedAt: 1_700_000_000_000,
    });
    expect(stored.flow).toMatchObject({ id: 'line', name: 'Line one', version: 1, languages: ['zh', 'en'] });
    expect(stored.flow.steps.bye).toEqual({ type: 'hangup', prompts: ['goodbye'], outcome: 'self-service' });
    expect((await reopened.history('line')).versions.map((v) => [v.version, v.savedBy])).toEqual([
      [1, 'admin-id'],
      [2, 'ops-id'],
    ]);
    await expect(reopened.get('line', 9)).rejects.toMatchObject({ code: 'IVR_FLOW_VERSION_NOT_FOUND' });
    await expect(reopened.get('nope', 1)).rejects.toMatchObject({ code: 'IVR_FLOW_NOT_FOUND' });
  });

  it('keeps the activation log, the live version in ivr_flows, and rolls back through the versions that were live', async () => {
    const { store, repo, published } = await setup();
    for (const name of ['one', 'two', 'three']) await repo.save(document('line', name), 'admin');
    const live = async () =>
      (
        await store.db
          .selectFrom('ivr_flows')
          .select('active_version')
          .where('flow_id', '=', 'line')
          .executeTakeFirst()
      )?.active_version ?? null;
    expect(await live()).toBeNull();
    await expect(repo.rollback('line', 'admin')).rejects.toMatchObject({
      code: 'IVR_FLOW_NOTHING_TO_ROLL_BACK',
    });
    await repo.activate('line', 1, 'admin');
    await repo.activate('line', 3, 'admin');
    await repo.activate('line', 3, 'admin'); // already live: logged, not pushed again
    await repo.activate('line', 2, 'admin');
    expect(await live()).toBe(2);
    expect(await repo.rollback('line', 'ops')).toMatchObject({ version: 3, action: 'rollback', by: 'ops' });
    expect(await live()).toBe(3);
    expect((await repo.rollback('line', 'ops')).version).toBe(1);
    expect(await live()).toBe(1);
    expect((await repo.active('line'))?.flow.name).toBe('one');
    await expect(repo.rollback('line', 'ops')).rejects.toMatchObject({
      code: 'IVR_FLOW_NOTHING_TO_ROLL_BACK',
    });
    const log = await new StoreFlowStorage(store).activations('line');
    expect(log.map((a) => `${a.action}:${a.version}:${a.by}`)).toEqual([
      'activate:1:admin',
      'activate:3:admin',
      'activate:3:admin',
      'activate:2:admin',
      'rollback:3:ops',
      'rollback:1:ops',
    ]);
    expect(published.filter((e) => e.type === 'ivr.flow.activated').at(-1)?.payload).toEqual({
      flowId: 'line',
      version: 1,
      action: 'rollback',
      previous: 3,
      by: 'ops',
    });
    await expect(repo.activate('line', 7, 'admin')).rejects.toMatchObject({
      code: 'IVR_FLOW_VERSION_NOT_FOUND',
    });
  });

  it('saves that race get a version each; two rollbacks that race land on the same version', async () => {
    const { repo } = await setup();
    const saved = await Promise.all([
      repo.save(document('line', 'A'), 'a'),
      repo.save(document('line', 'B'), 'b'),
      repo.save(document('line', 'C'), 'c'),
    ]);
    expect(saved.map((s) => s.version).sort()).toEqual([1, 2, 3]);
    expect((await repo.history('line')).versions.map((v) => v.flow.name).sort()).toEqual(['A', 'B', 'C']);

    await Promise.all([repo.activate('line', 1, 'a'), repo.activate('line', 2, 'b')]);
    await repo.activate('line', 3, 'a');
    const before = (await repo.history('line')).activations.slice(0, 2).map((a) => a.version);
    const rolled = await Promise.all([repo.rollback('line', 'a'), repo.rollback('line', 'b')]);
    expect(rolled.map((r) => r.version)).toEqual([before[1], before[1]]);
    expect(await repo.activeVersion('line')).toBe(before[1]);
    expect((await repo.history('line')).activations).toHaveLength(5);
  });

  it('refuses an invalid document, naming the step path, and a subflow without a live version', async () => {
    const { repo } = await setup();
    await expect(
      repo.save(
        {
          ...document('line', 'x', {
            menu: { type: 'menu', prompts: ['menu/main'], choices: { 1: { goto: 'bey' } }, onFail: 'bye' },
          }),
          start: 'menu',
        },
        'admin',
      ),
    ).rejects.toMatchObject({
      code: 'IVR_FLOW_INVALID',
      fields: [{ field: 'steps.menu.choices.1.goto', message: 'unknown step "bey" (did you mean "bye"?)' }],
    });
    await repo.save(document('auth', 'Auth'), 'admin');
    const line = await repo.save(
      document('line', 'x', { auth: { type: 'subflow', flow: 'auth', next: 'bye' } }),
      'admin',
    );
    await expect(repo.activate('line', line.version, 'admin')).rejects.toMatchObject({
      code: 'IVR_FLOW_SUBFLOW_INACTIVE',
    });
  });

  it('seeds the flows folder once, subflows first, and live flows follow activations', async () => {
    const { repo, published } = await setup();
    expect(await seedFlows(repo, flowsDir)).toEqual({
      seeded: ['authenticate', 'agent-verification', 'phone-banking'],
    });
    expect(await repo.list()).toEqual([
      { flowId: 'agent-verification', name: 'Verification for an agent', latest: 1, active: 1 },
      { flowId: 'authenticate', name: 'Telephone-banking authentication', latest: 1, active: 1 },
      { flowId: 'phone-banking', name: 'Teller Bank telephone banking (8888)', latest: 1, active: 1 },
    ]);
    expect((await repo.get('phone-banking', 1)).savedBy).toBe('system');
    expect(await seedFlows(repo, flowsDir)).toEqual({ seeded: [] });
    expect(published.filter((e) => e.type === 'ivr.flow.saved')).toHaveLength(3);

    const live = new LiveFlows(repo);
    await live.refresh();
    const v1 = live.get('phone-banking');
    expect(v1?.version).toBe(1);
    const file = JSON.parse(readFileSync(path.join(flowsDir, 'phone-banking.json'), 'utf8')) as {
      name: string;
    };
    const v2 = await repo.save({ ...file, name: 'Phone banking, v2' }, 'admin');
    await live.refresh();
    expect(live.get('phone-banking')).toBe(v1);
    await repo.activate('phone-banking', v2.version, 'admin');
    await live.refresh();
    expect(live.get('phone-banking')?.name).toBe('Phone banking, v2');
    expect(live.get('authenticate')?.version).toBe(1);
    expect(live.get('nope')).toBeUndefined();
  });

  it('seeds only the flows a store does not have: an admin-saved flow stays as it is', async () => {
    const { repo } = await setup();
    const file = JSON.parse(readFileSync(path.join(flowsDir, 'authenticate.json'), 'utf8')) as {
      name: string;
    };
    const own = await repo.save({ ...file, name: 'Our own authentication' }, 'admin');
    await repo.activate('authenticate', own.version, 'admin');
    expect(await seedFlows(repo, flowsDir)).toEqual({ seeded: ['agent-verification', 'phone-banking'] });
    expect((await repo.list()).find((f) => f.flowId === 'authenticate')).toEqual({
      flowId: 'authenticate',
      name: 'Our own authentication',
      latest: 1,
      active: 1,
    });
  });

  it('opens the flows of a running Teller: seeded once, live flows follow activations made through it', async () => {
    const { store, clock } = await setup();
    const events: string[] = [];
    const errors: unknown[] = [];
    const options = {
      store,
      clock,
      dir: flowsDir,
      publish: async (type: string, payload: unknown) => {
        events.push(
          `${type}:${(payload as { flowId: string; version: number }).flowId}:${(payload as { version: number }).version}`,
        );
      },
      reportError: (error: unknown) => errors.push(error),
    };
    const first = await openStoreFlows(options);
    expect(first.seeded).toEqual(['authenticate', 'agent-verification', 'phone-banking']);
    expect(first.live.get('phone-banking')?.version).toBe(1);
    const file = JSON.parse(readFileSync(path.join(flowsDir, 'phone-banking.json'), 'utf8')) as {
      name: string;
    };
    const v2 = await first.repository.save({ ...file, name: 'v2' }, 'admin');
    expect(first.live.get('phone-banking')?.version).toBe(1);
    await first.repository.activate('phone-banking', v2.version, 'admin');
    expect(first.live.get('phone-banking')?.name).toBe('v2');
    await first.repository.rollback('phone-banking', 'admin');
    expect(first.live.get('phone-banking')?.version).toBe(1);
    expect(events.slice(-3)).toEqual([
      'ivr.flow.saved:phone-banking:2',
      'ivr.flow.activated:phone-banking:2',
      'ivr.flow.activated:phone-banking:1',
    ]);

    // A second process (the CLI) changes what is live; the first sees it on its next refresh.
    const second = await openStoreFlows(options);
    expect(second.seeded).toEqual([]);
    await second.repository.activate('phone-banking', 2, 'cli');
    expect(first.live.get('phone-banking')?.version).toBe(1);
    await first.live.refresh();
    expect(first.live.get('phone-banking')?.version).toBe(2);
    expect(errors).toEqual([]);
  });

  it('does not seed from a folder with a broken flow, and says which file', async () => {
    const { repo } = await setup();
    const dir = path.join(temp, `broken-${dialect}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'bad.json'), '{ "id": "bad", ');
    await expect(seedFlows(repo, dir)).rejects.toMatchObject({
      code: 'IVR_FLOW_INVALID',
      message: expect.stringContaining('bad.json'),
    });
    writeFileSync(
      path.join(dir, 'bad.json'),
      JSON.stringify(document('bad', 'Bad', { x: { type: 'goto', to: 'nowhere' } })),
    );
    await expect(seedFlows(repo, dir)).rejects.toMatchObject({
      code: 'IVR_FLOW_INVALID',
      fields: [{ field: 'steps.x.to', message: 'unknown step "nowhere"' }],
    });
    expect(await repo.list()).toEqual([]);
  });

  it('reports containment from the ivr.session.ended events of the event log, over pages, by time and flow', async () => {
    const { store } = await setup();
    const log = new EventLog(store);
    let n = 0;
    const ended = (
      at: number,
      flowId: string,
      outcome: string,
      lastStep: string | null,
      handedOverAt: string | null = null,
    ) =>
      log.append({
        id: asId<EventId>(`ended-${dialect}-${++n}`),
        type: 'ivr.session.ended',
        at,
        audience: 'supervisor',
        subjectUserId: null,
        actor: null,
        payload: {
          sessionId: `s${n}`,
          callId: `c${n}`,
          flowId,
          flowVersion: 1,
          outcome,
          lastStep,
          handedOverAt,
          path: ['identify', lastStep ?? 'identify'],
          services: [],
          durationMs: 1000,
          endedBy: 'caller',
        },
      });
    const other = (at: number) =>
      log.append({
        id: asId<EventId>(`other-${dialect}-${++n}`),
        type: 'ivr.step.entered',
        at,
        audience: 'supervisor',
        subjectUserId: null,
        actor: null,
        payload: { sessionId: 'x', flowId: 'phone-banking', step: 'identify', stepType: 'identify' },
      });
    const writes: Promise<number>[] = [];
    // 1,500 calls on the line, more than a page: 900 served, 300 to an agent from the menu, 300 hung up at the PIN.
    for (let i = 0; i < 1_500; i++) {
      const at = 1_000 + i;
      if (i % 5 < 3) writes.push(ended(at, 'phone-banking', 'self-service', 'goodbye'));
      else if (i % 5 === 3) writes.push(ended(at, 'phone-banking', 'agent', 'agent', 'main-menu'));
      else writes.push(ended(at, 'phone-banking', 'hang-up', 'authenticate/pin'));
      if (i % 10 === 0) writes.push(other(at));
    }
    writes.push(ended(5_000, 'cards', 'failed', 'block'));
    writes.push(ended(5_001, 'cards', 'callback', 'callback', 'offer-callback'));
    await Promise.all(writes);

    const all = await readContainment(store);
    expect(all.calls).toBe(1_502);
    expect(all.flows.map((f) => f.flowId)).toEqual(['cards', 'phone-banking']);
    expect(all.flows[1]).toMatchObject({
      calls: 1_500,
      selfService: 900,
      agent: 300,
      hangUp: 300,
      failed: 0,
      containmentRate: 0.6,
      agentRate: 0.2,
      leftAt: [{ step: 'authenticate/pin', count: 300 }],
      agentFrom: [{ step: 'main-menu', count: 300 }],
    });
    expect(all.flows[0]).toMatchObject({
      calls: 2,
      failed: 1,
      callback: 1,
      agentRate: 0.5,
      leftAt: [{ step: 'block', count: 1 }],
    });

    const window = await readContainment(store, { from: 1_000, to: 1_010 });
    expect(window.flows).toEqual([
      expect.objectContaining({ flowId: 'phone-banking', calls: 10, selfService: 6, agent: 2, hangUp: 2 }),
    ]);
    expect((await readContainment(store, { flowId: 'cards' })).flows.map((f) => f.flowId)).toEqual(['cards']);
    expect(await readContainment(store, { from: 10_000 })).toEqual({ calls: 0, flows: [] });
  });
});
