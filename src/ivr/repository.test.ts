import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../core/index';
import { FlowRepository, MemoryFlowStorage } from './repository';

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

function repository() {
  const clock = new VirtualClock(1_000);
  return { clock, repo: new FlowRepository(new MemoryFlowStorage(), clock) };
}

describe('flow repository', () => {
  it('numbers versions, keeps each one, and does not store an identical document twice', async () => {
    const { repo, clock } = repository();
    const v1 = await repo.save(document('line', 'Line v1'), 'admin');
    clock.advance(10);
    const v2 = await repo.save(document('line', 'Line v2'), 'admin');
    const again = await repo.save(document('line', 'Line v2'), 'someone-else');
    expect([v1.version, v2.version, again.version]).toEqual([1, 2, 2]);
    expect(v2).toMatchObject({ savedAt: 1_010, savedBy: 'admin', flow: { version: 2, name: 'Line v2' } });
    expect((await repo.get('line', 1)).flow.name).toBe('Line v1');
    expect((await repo.history('line')).versions).toHaveLength(2);
  });

  it('refuses an invalid document with every issue named', async () => {
    const { repo } = repository();
    await expect(repo.save({ ...document('line', 'x'), start: 'nowhere' }, 'admin')).rejects.toMatchObject({
      code: 'IVR_FLOW_INVALID',
      fields: [{ field: 'start', message: 'unknown step "nowhere"' }],
    });
  });

  it('activates, rolls back through the versions that were live, and says when it cannot', async () => {
    const { repo } = repository();
    for (const name of ['one', 'two', 'three']) await repo.save(document('line', name), 'admin');
    expect(await repo.active('line')).toBeNull();
    await expect(repo.rollback('line', 'admin')).rejects.toMatchObject({
      code: 'IVR_FLOW_NOTHING_TO_ROLL_BACK',
    });
    await repo.activate('line', 1, 'admin');
    await repo.activate('line', 2, 'admin');
    await repo.activate('line', 3, 'admin');
    expect((await repo.active('line'))?.version).toBe(3);
    expect(await repo.rollback('line', 'ops')).toMatchObject({ version: 2, action: 'rollback', by: 'ops' });
    expect((await repo.rollback('line', 'ops')).version).toBe(1);
    expect((await repo.active('line'))?.flow.name).toBe('one');
    await expect(repo.rollback('line', 'ops')).rejects.toMatchObject({
      code: 'IVR_FLOW_NOTHING_TO_ROLL_BACK',
    });
    expect(await repo.list()).toEqual([{ flowId: 'line', name: 'three', latest: 3, active: 1 }]);
  });

  it('refuses to activate a version that does not exist, or one whose subflow is not live', async () => {
    const { repo } = repository();
    await expect(repo.activate('line', 1, 'admin')).rejects.toMatchObject({ code: 'IVR_FLOW_NOT_FOUND' });
    await repo.save(document('line', 'x'), 'admin');
    await expect(repo.activate('line', 2, 'admin')).rejects.toMatchObject({
      code: 'IVR_FLOW_VERSION_NOT_FOUND',
    });
    await expect(
      repo.save(document('line', 'x', { auth: { type: 'subflow', flow: 'auth', next: 'bye' } }), 'admin'),
    ).rejects.toMatchObject({ code: 'IVR_FLOW_INVALID' });
    await repo.save(document('auth', 'Auth'), 'admin');
    const saved = await repo.save(
      document('line', 'y', { auth: { type: 'subflow', flow: 'auth', next: 'bye' } }),
      'admin',
    );
    await expect(repo.activate('line', saved.version, 'admin')).rejects.toMatchObject({
      code: 'IVR_FLOW_SUBFLOW_INACTIVE',
    });
    await repo.activate('auth', 1, 'admin');
    await expect(repo.activate('line', saved.version, 'admin')).resolves.toMatchObject({ version: 2 });
  });

  it('does not push the live version again, and two rollbacks from the same state land on the same version', async () => {
    const { repo } = repository();
    for (const name of ['one', 'two', 'three']) await repo.save(document('line', name), 'admin');
    await repo.activate('line', 1, 'admin');
    await repo.activate('line', 2, 'admin');
    await repo.activate('line', 2, 'admin');
    expect((await repo.rollback('line', 'ops')).version).toBe(1);
    await repo.activate('line', 2, 'admin');
    await repo.activate('line', 3, 'admin');
    // Both operators read the stack [1, 2, 3] before either wrote: each asks for 2, the line lands on 2.
    const rolled = await Promise.all([repo.rollback('line', 'a'), repo.rollback('line', 'b')]);
    expect(rolled.map((r) => r.version)).toEqual([2, 2]);
    expect(await repo.activeVersion('line')).toBe(2);
    expect((await repo.rollback('line', 'ops')).version).toBe(1);
  });

  it('publishes saves and changes of the live version, and tells when a save changed nothing', async () => {
    const published: { type: string; payload: unknown }[] = [];
    const repo = new FlowRepository(new MemoryFlowStorage(), new VirtualClock(5), {
      publish: async (type, payload) => {
        published.push({ type, payload });
      },
    });
    expect((await repo.save(document('line', 'one'), 'admin')).created).toBe(true);
    expect((await repo.save(document('line', 'one'), 'admin')).created).toBe(false);
    await repo.save(document('line', 'two'), 'admin');
    await repo.activate('line', 1, 'admin');
    await repo.activate('line', 2, 'admin');
    await repo.rollback('line', 'ops');
    expect(published).toEqual([
      { type: 'ivr.flow.saved', payload: { flowId: 'line', version: 1, name: 'one', savedBy: 'admin' } },
      { type: 'ivr.flow.saved', payload: { flowId: 'line', version: 2, name: 'two', savedBy: 'admin' } },
      {
        type: 'ivr.flow.activated',
        payload: { flowId: 'line', version: 1, action: 'activate', previous: null, by: 'admin' },
      },
      {
        type: 'ivr.flow.activated',
        payload: { flowId: 'line', version: 2, action: 'activate', previous: 1, by: 'admin' },
      },
      {
        type: 'ivr.flow.activated',
        payload: { flowId: 'line', version: 1, action: 'rollback', previous: 2, by: 'ops' },
      },
    ]);
  });

  it('reports a flow it does not know', async () => {
    const { repo } = repository();
    await expect(repo.history('nope')).rejects.toMatchObject({ code: 'IVR_FLOW_NOT_FOUND' });
    await expect(repo.rollback('nope', 'ops')).rejects.toMatchObject({ code: 'IVR_FLOW_NOT_FOUND' });
    await expect(repo.get('nope', 1)).rejects.toMatchObject({ code: 'IVR_FLOW_NOT_FOUND' });
  });
});
