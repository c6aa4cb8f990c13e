import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SeededRandom, StoreBank } from '../src/banking/index';
import { type DomainEvents, EventBus, MemoryEventSink, parseMoney, VirtualClock } from '../src/core/index';
import {
  languages,
  type Product,
  products,
  type SegmentFilter,
  StoreCrm,
  seedDemoBank,
  tiers,
} from '../src/crm/index';
import { AuditTrail, openStore, type Store } from '../src/store/index';
import { createTestDatabase } from './support/postgres';

const dialects = ['sqlite', 'postgres'] as const;
const start = Date.UTC(2025, 5, 2, 2, 0);
const dayMs = 86_400_000;

/** Everything the filters look at, read row by row: the oracle the SQL is checked against. */
async function snapshot(store: Store) {
  const customers = await store.db.selectFrom('customers').selectAll().execute();
  const accounts = await store.db
    .selectFrom('bank_accounts')
    .selectAll()
    .where('customer_id', 'is not', null)
    .execute();
  const cards = await store.db.selectFrom('bank_cards').select(['customer_id', 'kind', 'status']).execute();
  const holdings = await store.db.selectFrom('crm_holdings').selectAll().execute();
  const tags = await store.db.selectFrom('crm_tags').selectAll().execute();
  const held = new Map<string, Set<Product>>();
  const add = (id: string, p: Product) => held.set(id, (held.get(id) ?? new Set()).add(p));
  const deposits = new Map<string, number>();
  for (const a of accounts) {
    const id = a.customer_id!;
    if (a.status === 'closed') continue;
    if (a.kind === 'current' && a.currency === 'CNY') add(id, 'current-account');
    if (a.kind === 'savings' && a.currency === 'CNY') add(id, 'savings-account');
    if ((a.kind === 'current' || a.kind === 'savings') && a.currency !== 'CNY') add(id, 'fx-account');
    if (a.kind === 'credit-card') add(id, 'credit-card');
    if (a.kind === 'brokerage') add(id, 'brokerage');
  }
  for (const a of accounts) {
    if (a.kind === 'current' || a.kind === 'savings') {
      const key = `${a.customer_id}:${a.currency}`;
      deposits.set(key, (deposits.get(key) ?? 0) + Number(a.balance));
    }
  }
  for (const c of cards)
    if (c.kind === 'debit' && c.status !== 'lost' && c.status !== 'stolen') add(c.customer_id, 'debit-card');
  for (const h of holdings) add(h.customer_id, h.product as Product);
  const tagsOf = new Map<string, Set<string>>();
  for (const t of tags) tagsOf.set(t.customer_id, (tagsOf.get(t.customer_id) ?? new Set()).add(t.tag));
  return { customers, held, deposits, tagsOf };
}

function matches(
  s: Awaited<ReturnType<typeof snapshot>>,
  c: Awaited<ReturnType<typeof snapshot>>['customers'][number],
  f: SegmentFilter,
  now: number,
): boolean {
  const held = s.held.get(c.id) ?? new Set<Product>();
  const tags = s.tagsOf.get(c.id) ?? new Set<string>();
  const deposit = (currency: string) => s.deposits.get(`${c.id}:${currency}`) ?? 0;
  const last = c.last_contact_at === null ? null : Number(c.last_contact_at);
  if (f.tiers && !f.tiers.includes(c.tier as (typeof tiers)[number])) return false;
  if (f.languages && !f.languages.includes(c.language as (typeof languages)[number])) return false;
  if (f.tagsAll && !f.tagsAll.every((t) => tags.has(t))) return false;
  if (f.tagsAny && !f.tagsAny.some((t) => tags.has(t))) return false;
  if (f.tagsNone?.some((t) => tags.has(t))) return false;
  if (f.productsHeld && !f.productsHeld.every((p) => held.has(p))) return false;
  if (f.productsNotHeld?.some((p) => held.has(p))) return false;
  if (
    f.minBalance &&
    deposit(f.minBalance.currency) < parseMoney(f.minBalance.amount, f.minBalance.currency).minor
  )
    return false;
  if (
    f.maxBalance &&
    deposit(f.maxBalance.currency) > parseMoney(f.maxBalance.amount, f.maxBalance.currency).minor
  )
    return false;
  if (
    f.lastContactWithinDays !== undefined &&
    (last === null || last < now - f.lastContactWithinDays * dayMs)
  )
    return false;
  if (f.noContactForDays !== undefined && last !== null && last >= now - f.noContactForDays * dayMs)
    return false;
  if (f.consent?.voice !== undefined && (c.consent_voice === 1) !== f.consent.voice) return false;
  if (f.consent?.sms !== undefined && (c.consent_sms === 1) !== f.consent.sms) return false;
  if (f.consent?.email !== undefined && (c.consent_email === 1) !== f.consent.email) return false;
  if (f.doNotCall !== undefined && (c.do_not_call === 1) !== f.doNotCall) return false;
  return true;
}

function randomFilter(rng: SeededRandom): SegmentFilter {
  const f: SegmentFilter = {};
  const some = <T>(items: readonly T[]) => items.filter(() => rng.chance(40)).slice(0, 3);
  const pickSome = <T>(items: readonly T[]) => {
    const chosen = some(items);
    return chosen.length > 0 ? chosen : [rng.pick(items)];
  };
  const tagNames = ['vip', 'investor', 'travel', 'young-professional', 'complaint-risk'];
  if (rng.chance(40)) f.tiers = pickSome(tiers);
  if (rng.chance(20)) f.languages = pickSome(languages);
  if (rng.chance(20)) f.tagsAll = pickSome(tagNames);
  if (rng.chance(20)) f.tagsAny = pickSome(tagNames);
  if (rng.chance(15)) f.tagsNone = pickSome(tagNames);
  if (rng.chance(35)) f.productsHeld = pickSome(products);
  if (rng.chance(35)) f.productsNotHeld = pickSome(products);
  if (rng.chance(30))
    f.minBalance = { amount: `${rng.int(0, 300_000)}.00`, currency: rng.pick(['CNY', 'USD']) };
  if (rng.chance(15)) f.maxBalance = { amount: `${rng.int(0, 500_000)}.50`, currency: 'CNY' };
  if (rng.chance(20)) f.lastContactWithinDays = rng.int(1, 400);
  if (rng.chance(20)) f.noContactForDays = rng.int(1, 400);
  if (rng.chance(30))
    f.consent = { ...(rng.chance(50) ? { sms: rng.chance(50) } : { voice: rng.chance(50) }) };
  if (rng.chance(25)) f.doNotCall = rng.chance(50);
  return f;
}

describe.each(dialects)('the CRM (%s)', (dialect) => {
  let store: Store;
  let crm: StoreCrm;
  let sink: MemoryEventSink;
  let audit: AuditTrail;
  const clock = new VirtualClock(start);
  const agent = { id: 'agent-7', interactionId: 'call-7' };

  beforeAll(async () => {
    store =
      dialect === 'postgres'
        ? await openStore({ databaseUrl: await createTestDatabase(inject('pgUrl'), 'bank_crm') })
        : await openStore({ sqlitePath: ':memory:' });
    await seedDemoBank(store, { customers: 300, seed: 'crm', asOf: start, transactionsPerCustomer: 4 });
    sink = new MemoryEventSink();
    const bus = new EventBus<DomainEvents>(sink, clock, (error) => {
      throw error;
    });
    const publish = <K extends keyof DomainEvents>(type: K, payload: DomainEvents[K], meta: object) =>
      bus.publish(type, payload, meta);
    audit = new AuditTrail(store, clock);
    const bank = new StoreBank({
      store,
      clock,
      audit,
      publish: (t, p, m) => publish(t, p as DomainEvents[typeof t], m),
    });
    crm = new StoreCrm({
      store,
      clock,
      bank,
      audit,
      publish: (t, p, m) => publish(t, p as DomainEvents[typeof t], m),
    });
  });
  afterAll(() => store?.close());

  it('evaluates random segment filters in SQL exactly as the row-by-row oracle does', async () => {
    const s = await snapshot(store);
    const rng = new SeededRandom(`filters-${dialect}`);
    let nonTrivial = 0;
    for (let i = 0; i < 60; i++) {
      const filter = randomFilter(rng);
      const expected = s.customers
        .filter((c) => matches(s, c, filter, start))
        .map((c) => c.id)
        .sort();
      const got: string[] = [];
      let cursor: string | null = null;
      let count = -1;
      do {
        const page = await crm.members({ filter }, { limit: 100, cursor });
        count = page.count;
        got.push(...page.customers.map((c) => c.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect({ filter, count, ids: got.sort() }).toEqual({ filter, count: expected.length, ids: expected });
      if (expected.length > 0 && expected.length < s.customers.length) nonTrivial++;
    }
    expect(nonTrivial).toBeGreaterThan(20);
  });

  it('lists the products a customer holds, from the same conditions', async () => {
    const s = await snapshot(store);
    for (const c of s.customers.slice(0, 40)) {
      expect(new Set(await crm.products(c.id))).toEqual(s.held.get(c.id) ?? new Set());
    }
  });

  it('offers wealth management to an affluent customer with over 500,000 CNY and none yet', async () => {
    const zhang = (await crm.search({ phone: '13800000001' }))[0]!;
    expect((await crm.offersFor(zhang.id)).map((o) => o.code)).toContain('WEALTH-MGMT');
    const li = (await crm.search({ phone: '+86 138-0000-0002' }))[0]!;
    expect(li.nameLatin).toBe('Li Na');
    expect((await crm.offersFor(li.id)).map((o) => o.code)).not.toContain('WEALTH-MGMT');
  });

  it('keeps the timeline, notes, tags and consent with events and an audit of consent changes', async () => {
    const [zhang] = await crm.search({ name: 'zhang wei' });
    const before = await crm.profile(zhang!.id);
    const logged = await crm.logInteraction(
      zhang!.id,
      { channel: 'chat', direction: 'inbound', summary: 'Asked about FX rates', outcome: 'answered' },
      agent,
    );
    expect(logged).toMatchObject({ interactionId: 'call-7', agentId: 'agent-7', at: start });
    expect((await crm.profile(zhang!.id)).lastContactAt).toBe(start);
    const page = await crm.timeline(zhang!.id, { limit: 2 });
    expect(page.items[0]!.id).toBe(logged.id);
    const rest = await crm.timeline(zhang!.id, { limit: 50, cursor: page.nextCursor });
    expect(rest.items.map((e) => e.id)).not.toContain(logged.id);
    await crm.addNote(zhang!.id, { body: 'Prefers WeChat for follow-ups.' }, agent);
    expect((await crm.notes(zhang!.id, 1))[0]!.body).toBe('Prefers WeChat for follow-ups.');
    expect(await crm.tag(zhang!.id, 'fx-interest', agent)).toContain('fx-interest');
    expect(await crm.untag(zhang!.id, 'fx-interest', agent)).not.toContain('fx-interest');
    const updated = await crm.updateProfile(zhang!.id, { consent: { sms: false }, doNotCall: true }, agent);
    expect(updated.consent.sms).toBe(false);
    expect(updated.doNotCall).toBe(true);
    const entry = (await audit.list({ action: 'crm.customer.update' }))[0]!;
    expect(entry.details).toMatchObject({
      changed: ['consent.sms', 'doNotCall'],
      consentBefore: before.consent,
      doNotCallBefore: false,
      interactionId: 'call-7',
    });
    expect(sink.events.map((e) => e.type)).toEqual(
      expect.arrayContaining([
        'crm.interaction.logged',
        'crm.note.added',
        'crm.tag.changed',
        'crm.customer.updated',
      ]),
    );
  });

  it('finds customers by Latin and Chinese name prefix, in name order', async () => {
    const byPrefix = await crm.search({ name: 'Wang', limit: 100 });
    expect(byPrefix.length).toBeGreaterThan(0);
    for (const c of byPrefix) expect(c.nameLatin.toLowerCase().startsWith('wang')).toBe(true);
    const names = byPrefix.map((c) => c.nameLatin.toLowerCase());
    expect(names).toEqual([...names].sort());
    const byHanzi = await crm.search({ name: '王', limit: 100 });
    expect(byHanzi.map((c) => c.id).sort()).toEqual(byPrefix.map((c) => c.id).sort());
  });
});
