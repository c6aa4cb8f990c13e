import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { type OperationContext, StoreBank } from '../src/banking/index';
import { type DomainEvents, EventBus, MemoryEventSink, TellerError, VirtualClock } from '../src/core/index';
import { seedDemoBank } from '../src/crm/index';
import { AuditTrail, openStore, type Store, type StoreOptions } from '../src/store/index';
import { createTestDatabase } from './support/postgres';

const scratchDirs: string[] = [];
/** A temporary folder for a SQLite file, removed when the file's tests are done. */
function scratch(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  scratchDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});

const dialects = ['sqlite', 'postgres'] as const;
const start = Date.UTC(2025, 5, 2, 2, 0);

async function location(dialect: (typeof dialects)[number]): Promise<StoreOptions> {
  return dialect === 'postgres'
    ? { databaseUrl: await createTestDatabase(inject('pgUrl'), 'bank_pin') }
    : { sqlitePath: path.join(scratch('teller-pin-'), 'teller.sqlite') };
}

function bankOn(store: Store, clock: VirtualClock, sink: MemoryEventSink): StoreBank {
  const bus = new EventBus<DomainEvents>(sink, clock, (error) => {
    throw error;
  });
  return new StoreBank({
    store,
    clock,
    audit: new AuditTrail(store, clock),
    publish: (type, payload, meta) => bus.publish(type, payload as DomainEvents[typeof type], meta),
  });
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (error instanceof TellerError) return error.code;
    throw error;
  }
}

const ivr: OperationContext = { channel: 'ivr', actor: 'ivr', interactionId: 'call-1' };

describe.each(dialects)('telephone PIN lockout (%s)', (dialect) => {
  it('locks after three wrong PINs, stays locked across a restart, until an agent resets it', async () => {
    const where = await location(dialect);
    const clock = new VirtualClock(start);
    const sink = new MemoryEventSink();
    let store = await openStore(where);
    await seedDemoBank(store, { customers: 3, seed: 'pin', asOf: start, transactionsPerCustomer: 2 });
    const zhang = (
      await store.db
        .selectFrom('customers')
        .select('id')
        .where('cif', '=', 'C0000000001')
        .executeTakeFirstOrThrow()
    ).id;
    let bank = bankOn(store, clock, sink);

    // A success in between resets the count: two wrong, one right, two wrong is not a lock.
    expect(await codeOf(bank.verifyPin(zhang, '770431', ivr))).toBe('BANK_PIN_INVALID');
    expect(await codeOf(bank.verifyPin(zhang, '615243', ivr))).toBe('BANK_PIN_INVALID');
    expect(await codeOf(bank.verifyPin(zhang, '123456', ivr))).toBe('ok');
    expect(await codeOf(bank.verifyPin(zhang, '770431', ivr))).toBe('BANK_PIN_INVALID');
    expect(await codeOf(bank.verifyPin(zhang, '12345', ivr))).toBe('BANK_PIN_INVALID');
    expect(await bank.pinStatus(zhang)).toEqual({ set: true, locked: false, failures: 2 });
    expect(await codeOf(bank.verifyPin(zhang, '392817', ivr))).toBe('BANK_PIN_LOCKED');
    expect(await codeOf(bank.verifyPin(zhang, '123456', ivr))).toBe('BANK_PIN_LOCKED');
    expect((await bank.pinStatus(zhang)).locked).toBe(true);

    await store.close();
    store = await openStore(where);
    bank = bankOn(store, clock, sink);
    expect((await bank.pinStatus(zhang)).locked).toBe(true);
    expect(await codeOf(bank.verifyPin(zhang, '123456', ivr))).toBe('BANK_PIN_LOCKED');

    const agent: OperationContext = { channel: 'agent', actor: 'agent01-id', interactionId: 'call-2' };
    expect(await bank.resetPin(zhang, agent)).toEqual({ set: true, locked: false, failures: 0 });
    expect((await bank.verifyPin(zhang, '123456', ivr)).level).toBe('pin');
    await bank.resetPin(zhang, agent, '246810');
    expect(await codeOf(bank.verifyPin(zhang, '123456', ivr))).toBe('BANK_PIN_INVALID');
    expect((await bank.verifyPin(zhang, '246810', ivr)).level).toBe('pin');

    const types = sink.events.map((e) => e.type);
    expect(types.filter((t) => t === 'banking.pin.failed')).toHaveLength(6);
    expect(types.filter((t) => t === 'banking.pin.locked')).toHaveLength(1);
    expect(types.filter((t) => t === 'banking.pin.reset')).toHaveLength(2);
    const audit = await new AuditTrail(store, clock).list({ limit: 1000 });
    const resets = audit.filter((a) => a.action === 'banking.pin-reset');
    expect(resets[0]).toMatchObject({ actor: 'agent01-id', target: zhang, outcome: 'success' });
    expect(
      audit.filter((a) => a.action === 'banking.verify-pin' && a.outcome === 'denied').length,
    ).toBeGreaterThanOrEqual(6);
    const trail = JSON.stringify(sink.events) + JSON.stringify(audit);
    for (const pin of ['123456', '246810', '392817', '770431', '615243']) expect(trail).not.toContain(pin);
    await store.close();
  });

  it('counts concurrent wrong PINs exactly: the third locks, the rest find it locked', async () => {
    const clock = new VirtualClock(start);
    const store = await openStore(await location(dialect));
    await seedDemoBank(store, { customers: 3, seed: 'pin2', asOf: start, transactionsPerCustomer: 2 });
    const li = (
      await store.db
        .selectFrom('customers')
        .select('id')
        .where('cif', '=', 'C0000000002')
        .executeTakeFirstOrThrow()
    ).id;
    const bank = bankOn(store, clock, new MemoryEventSink());
    const codes = await Promise.all(
      Array.from({ length: 6 }, () => codeOf(bank.verifyPin(li, '000001', ivr))),
    );
    expect(codes.filter((c) => c === 'BANK_PIN_INVALID')).toHaveLength(2);
    expect(codes.filter((c) => c === 'BANK_PIN_LOCKED')).toHaveLength(4);
    expect(await bank.pinStatus(li)).toEqual({ set: true, locked: true, failures: 3 });
    await store.close();
  });
});
