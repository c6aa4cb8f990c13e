import { afterEach, describe, expect, it } from 'vitest';
import { dialects, freshStore } from '../../test/support/stores';
import { asId, type CustomerId, VirtualClock } from '../core/index';
import type { Store } from '../store/index';
import { Interactions, publicInteraction } from './interactions';

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

describe.each(dialects)('Interactions on %s', (dialect) => {
  async function setup() {
    const store = await freshStore(dialect);
    stores.push(store);
    const clock = new VirtualClock(1_000);
    const events: string[] = [];
    const interactions = new Interactions(store.db, clock, async (type) => {
      events.push(type);
    });
    return { interactions, clock, events };
  }

  it('creates, attaches data, and closes exactly once', async () => {
    const { interactions, clock, events } = await setup();
    const created = await interactions.create({ channel: 'voice', data: { ivrPath: ['welcome'] } });
    await interactions.update(created.id, {
      customerId: asId<CustomerId>('c1'),
      data: { intent: 'balance' },
    });
    clock.advance(5_000);
    const closed = await interactions.close(created.id, 'completed');
    expect(closed).toMatchObject({
      state: 'closed',
      closeReason: 'completed',
      closedAt: 6_000,
      customerId: 'c1',
    });
    expect(closed.data).toEqual({ ivrPath: ['welcome'], intent: 'balance' });
    await expect(interactions.close(created.id, 'again')).rejects.toMatchObject({
      code: 'INTERACTIONS_CLOSED',
    });
    expect(events).toEqual(['interaction.created', 'interaction.updated', 'interaction.closed']);
  });

  it('keeps secrets out of events and answers, and the verification id out of events only', async () => {
    const store = await freshStore(dialect);
    stores.push(store);
    const payloads: unknown[] = [];
    const interactions = new Interactions(store.db, new VirtualClock(1_000), async (_type, payload) => {
      payloads.push(payload);
    });
    const created = await interactions.create({
      channel: 'voice',
      data: { verification: 'pin', verificationId: 'v-1', pin: '123456', nested: { card_number: '6222' } },
    });
    await interactions.attach(created.id, { verificationId: 'v-2', verificationState: 'verified' });
    expect(payloads).toEqual([
      { interaction: expect.objectContaining({ data: { verification: 'pin', nested: {} } }) },
      { interactionId: created.id, changes: { data: { verificationState: 'verified' } } },
    ]);
    const read = await interactions.get(created.id);
    expect(read.data.verificationId).toBe('v-2');
    expect(publicInteraction(read).data).toEqual({
      verification: 'pin',
      verificationId: 'v-2',
      verificationState: 'verified',
      nested: {},
    });
  });

  it('after a restart closes the calls that died with the process and keeps chats, e-mails and waiting callbacks', async () => {
    const { interactions } = await setup();
    const call = await interactions.create({ channel: 'voice' });
    const video = await interactions.create({ channel: 'video' });
    const chat = await interactions.create({ channel: 'chat' });
    const mail = await interactions.create({ channel: 'email' });
    const callback = await interactions.create({ channel: 'voice', data: { callback: true } });
    const closed = await interactions.closeEphemeral('process-restart', (i) => i.data.callback === true);
    expect(closed.sort()).toEqual([call.id, video.id].sort());
    const open = (await interactions.listOpen()).map((i) => i.id).sort();
    expect(open).toEqual([chat.id, mail.id, callback.id].sort());
    expect((await interactions.get(call.id)).closeReason).toBe('process-restart');
  });
});
