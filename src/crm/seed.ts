import { sql } from 'kysely';
import {
  billerAccountId,
  defaultPanKey,
  ensureLedgerAccounts,
  hash32,
  hashPin,
  ledgerAccountId,
  listedStocks,
  panDigest,
  SeededRandom,
} from '../banking/index';
import type { CurrencyCode } from '../core/index';
import type { Store } from '../store/index';
import { type BulkTables, type Payload, RowBuffer, writePayloads } from './bulk';
import type { SegmentFilter } from './filters';

/**
 * The demo bank: a realistic, deterministic population of customers for the simulator —
 * profiles, phones, accounts in four currencies, credit cards, brokerage positions, a year of
 * ledger history, cards, payees, registered billers, CRM holdings, tags, a contact timeline,
 * cases and notes, saved segments and next-best-offer rules. The same seed and `asOf` give the
 * same bank, row for row.
 *
 * Customer 1 is 张伟 Zhang Wei and customer 2 is Li Na 李娜, exactly as DESIGN.md lists them.
 * Every other customer's telephone PIN is 888888 (demo data only: they share one hash).
 */
export interface DemoCustomer {
  nameZh: string;
  nameLatin: string;
  phone: string;
  cardNumber: string;
  pin: string;
  tier: 'mass' | 'affluent' | 'private';
}

export const demoCustomers: readonly DemoCustomer[] = [
  {
    nameZh: '张伟',
    nameLatin: 'Zhang Wei',
    phone: '13800000001',
    cardNumber: '6222020000000001',
    pin: '123456',
    tier: 'affluent',
  },
  {
    nameZh: '李娜',
    nameLatin: 'Li Na',
    phone: '13800000002',
    cardNumber: '6222020000000002',
    pin: '654321',
    tier: 'private',
  },
];

/** The PIN of every generated (not named) demo customer. */
export const demoGenericPin = '888888';

export interface SeedProgress {
  phase: 'prepare' | 'customers' | 'finish';
  done: number;
  total: number;
}

export interface SeedOptions {
  /** How many customers (at least 2: the named demo customers come first). */
  customers: number;
  seed?: string | number;
  /** The instant the year of history ends at (default: now). Same seed and asOf: same bank. */
  asOf?: number;
  /** Ledger transactions per customer over the year, on average (default 40; 3 above 50,000 customers). */
  transactionsPerCustomer?: number;
  /** Customers written per database transaction. */
  batchSize?: number;
  /**
   * Drop the indexes whose keys arrive in random order during the load and rebuild them after,
   * with a rollback journal instead of WAL (default: from 50,000 customers). Faster; a crash
   * mid-load leaves those indexes missing.
   */
  deferIndexes?: boolean;
  panKey?: string;
  onProgress?: (progress: SeedProgress) => void;
}

export interface SeedReport {
  skipped: boolean;
  customers: number;
  accounts: number;
  cards: number;
  transactions: number;
  entries: number;
  rows: number;
  ms: number;
}

const dayMs = 86_400_000;
const yearMs = 365 * dayMs;

const tables: BulkTables = [
  [
    'customers',
    [
      'id',
      'cif',
      'name_zh',
      'name_latin',
      'search_name',
      'language',
      'tier',
      'emails',
      'consent_voice',
      'consent_sms',
      'consent_email',
      'do_not_call',
      'last_contact_at',
      'created_at',
      'updated_at',
    ],
  ],
  ['customer_phones', ['customer_id', 'phone', 'label', 'is_primary']],
  [
    'bank_credentials',
    ['customer_id', 'pin_hash', 'pin_failures', 'pin_locked', 'pin_locked_at', 'pin_updated_at'],
  ],
  [
    'bank_accounts',
    [
      'id',
      'customer_id',
      'number',
      'kind',
      'currency',
      'status',
      'name',
      'balance',
      'held',
      'overdraft_limit',
      'opened_at',
      'updated_at',
    ],
  ],
  [
    'bank_cards',
    [
      'id',
      'customer_id',
      'account_id',
      'kind',
      'pan_hash',
      'last4',
      'status',
      'holder_name',
      'expires',
      'replaces_card_id',
      'issued_at',
      'status_changed_at',
    ],
  ],
  ['bank_payees', ['id', 'customer_id', 'name', 'bank_name', 'account_number', 'currency', 'created_at']],
  ['bank_biller_registrations', ['id', 'customer_id', 'biller_id', 'reference', 'nickname', 'created_at']],
  [
    'bank_transactions',
    [
      'id',
      'customer_id',
      'kind',
      'description',
      'channel',
      'actor',
      'interaction_id',
      'idempotency_scope',
      'at',
    ],
  ],
  ['bank_entries', ['transaction_id', 'account_id', 'amount', 'currency', 'balance_after', 'at']],
  [
    'bank_bill_payments',
    [
      'id',
      'transaction_id',
      'customer_id',
      'registration_id',
      'biller_id',
      'account_id',
      'reference',
      'amount',
      'currency',
      'at',
    ],
  ],
  ['bank_positions', ['account_id', 'symbol', 'quantity', 'cost']],
  ['crm_holdings', ['customer_id', 'product', 'since_at']],
  ['crm_tags', ['customer_id', 'tag']],
  [
    'crm_interactions',
    ['id', 'customer_id', 'channel', 'direction', 'at', 'interaction_id', 'agent_id', 'summary', 'outcome'],
  ],
  [
    'crm_cases',
    [
      'id',
      'customer_id',
      'subject',
      'category',
      'status',
      'priority',
      'sla_due_at',
      'assignee',
      'created_by',
      'created_at',
      'updated_at',
      'resolved_at',
    ],
  ],
  ['crm_case_history', ['case_id', 'at', 'actor', 'action', 'from_value', 'to_value', 'note']],
  ['crm_notes', ['id', 'customer_id', 'case_id', 'author', 'body', 'at']],
];

const surnames: ReadonlyArray<readonly [string, string]> = [
  ['王', 'Wang'],
  ['李', 'Li'],
  ['张', 'Zhang'],
  ['刘', 'Liu'],
  ['陈', 'Chen'],
  ['杨', 'Yang'],
  ['黄', 'Huang'],
  ['赵', 'Zhao'],
  ['吴', 'Wu'],
  ['周', 'Zhou'],
  ['徐', 'Xu'],
  ['孙', 'Sun'],
  ['马', 'Ma'],
  ['朱', 'Zhu'],
  ['胡', 'Hu'],
  ['郭', 'Guo'],
  ['何', 'He'],
  ['高', 'Gao'],
  ['林', 'Lin'],
  ['罗', 'Luo'],
  ['郑', 'Zheng'],
  ['梁', 'Liang'],
  ['谢', 'Xie'],
  ['宋', 'Song'],
  ['唐', 'Tang'],
  ['许', 'Xu'],
  ['韩', 'Han'],
  ['冯', 'Feng'],
  ['邓', 'Deng'],
  ['曹', 'Cao'],
];

const givenChars: ReadonlyArray<readonly [string, string]> = [
  ['伟', 'Wei'],
  ['芳', 'Fang'],
  ['娜', 'Na'],
  ['敏', 'Min'],
  ['静', 'Jing'],
  ['丽', 'Li'],
  ['强', 'Qiang'],
  ['磊', 'Lei'],
  ['军', 'Jun'],
  ['洋', 'Yang'],
  ['勇', 'Yong'],
  ['艳', 'Yan'],
  ['杰', 'Jie'],
  ['娟', 'Juan'],
  ['涛', 'Tao'],
  ['明', 'Ming'],
  ['超', 'Chao'],
  ['秀', 'Xiu'],
  ['霞', 'Xia'],
  ['平', 'Ping'],
  ['刚', 'Gang'],
  ['桂', 'Gui'],
  ['华', 'Hua'],
  ['建', 'Jian'],
  ['国', 'Guo'],
  ['文', 'Wen'],
  ['辉', 'Hui'],
  ['玲', 'Ling'],
  ['宇', 'Yu'],
  ['浩', 'Hao'],
  ['欣', 'Xin'],
  ['晨', 'Chen'],
];

const otherBanks = [
  '中国工商银行 ICBC',
  '中国建设银行 CCB',
  '中国农业银行 ABC',
  '中国银行 BOC',
  '招商银行 CMB',
  '交通银行 BoCom',
];

const billers = [
  {
    code: 'SGCC-BJ',
    nameZh: '国家电网 北京电力',
    nameEn: 'State Grid Beijing',
    category: 'electricity',
    digits: 10,
  },
  {
    code: 'SGCC-SH',
    nameZh: '国家电网 上海电力',
    nameEn: 'State Grid Shanghai',
    category: 'electricity',
    digits: 10,
  },
  { code: 'BJWATER', nameZh: '北京自来水集团', nameEn: 'Beijing Waterworks', category: 'water', digits: 9 },
  { code: 'SHWATER', nameZh: '上海城投水务', nameEn: 'Shanghai Water', category: 'water', digits: 9 },
  { code: 'BJGAS', nameZh: '北京燃气集团', nameEn: 'Beijing Gas', category: 'gas', digits: 10 },
  { code: 'CMCC', nameZh: '中国移动', nameEn: 'China Mobile', category: 'telecom', digits: 0 },
  { code: 'CUCC', nameZh: '中国联通', nameEn: 'China Unicom', category: 'telecom', digits: 0 },
  { code: 'CTCC', nameZh: '中国电信', nameEn: 'China Telecom', category: 'telecom', digits: 0 },
] as const;

const channelsOfContact = ['voice', 'voice', 'voice', 'ivr', 'chat', 'email', 'sms', 'webcall'] as const;
const contactSummaries = [
  ['Balance enquiry', 'completed'],
  ['Asked about the credit card bill', 'completed'],
  ['Reported a suspicious SMS', 'advised'],
  ['Changed the registered address', 'completed'],
  ['Asked for time-deposit rates', 'completed'],
  ['Complained about the ATM fee', 'case opened'],
  ['Wanted to raise the card limit', 'referred'],
  ['FX rate for USD before a trip', 'completed'],
  ['Wealth-management product questions', 'follow-up'],
  ['Lost card reported and blocked', 'completed'],
] as const;

const caseTemplates = [
  ['Card charge dispute', 'card-dispute'],
  ['ATM fee complaint', 'complaint'],
  ['Address change not applied', 'service'],
  ['Mortgage pre-approval enquiry', 'loan-enquiry'],
  ['Suspected card fraud', 'fraud-report'],
  ['Refund of an annual fee', 'fee-refund'],
] as const;
const caseStatuses = ['new', 'open', 'open', 'pending', 'resolved', 'closed'] as const;
const casePriorities = ['low', 'normal', 'normal', 'normal', 'high', 'urgent'] as const;
const slaHours = { low: 168, normal: 72, high: 24, urgent: 4 } as const;

/** The saved segments the demo bank ships with. */
export const demoSegments: ReadonlyArray<{ name: string; description: string; filter: SegmentFilter }> = [
  {
    name: 'Affluent without wealth management',
    description:
      'Affluent and private customers with over 500,000 CNY on deposit and no wealth-management product',
    filter: {
      tiers: ['affluent', 'private'],
      productsNotHeld: ['wealth-management'],
      minBalance: { amount: '500000.00', currency: 'CNY' },
    },
  },
  {
    name: 'Dormant private clients',
    description: 'Private-banking clients not contacted for 90 days',
    filter: { tiers: ['private'], noContactForDays: 90 },
  },
  {
    name: 'SMS marketing allowed',
    description: 'Consented to marketing by SMS and not on the do-not-call list',
    filter: { consent: { sms: true }, doNotCall: false },
  },
];

/** The next-best-offer rules the demo bank ships with, highest priority first. */
export const demoOffers: ReadonlyArray<{
  code: string;
  name: string;
  pitch: string;
  priority: number;
  conditions: SegmentFilter;
}> = [
  {
    code: 'WEALTH-MGMT',
    name: 'Wealth management (理财)',
    pitch: 'Over 500,000 CNY on deposit: offer the 6-month wealth-management plan (expected 3.2% a year).',
    priority: 100,
    conditions: {
      tiers: ['affluent', 'private'],
      productsNotHeld: ['wealth-management'],
      minBalance: { amount: '500000.00', currency: 'CNY' },
    },
  },
  {
    code: 'BROKERAGE-OPEN',
    name: 'Open a brokerage account',
    pitch: 'Offer a brokerage account with commission at 0.025% for the first year.',
    priority: 70,
    conditions: {
      tiers: ['affluent', 'private'],
      productsNotHeld: ['brokerage'],
      minBalance: { amount: '200000.00', currency: 'CNY' },
    },
  },
  {
    code: 'CREDIT-CARD',
    name: 'Credit card',
    pitch: 'No credit card yet: offer the travel credit card, no annual fee in year one.',
    priority: 60,
    conditions: { productsHeld: ['current-account'], productsNotHeld: ['credit-card'], doNotCall: false },
  },
  {
    code: 'FX-TRAVEL',
    name: 'Foreign-currency account',
    pitch:
      'Travels abroad but holds no foreign currency: offer a USD/HKD/EUR account with a better FX spread.',
    priority: 40,
    conditions: { tagsAny: ['travel'], productsNotHeld: ['fx-account'] },
  },
  {
    code: 'HOME-INSURANCE',
    name: 'Home insurance',
    pitch: 'Has a mortgage but no insurance: offer home and contents insurance.',
    priority: 20,
    conditions: { productsHeld: ['mortgage'], productsNotHeld: ['insurance'] },
  },
];

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function ymOf(at: number, addYears: number): string {
  const d = new Date(at);
  return `${d.getUTCFullYear() + addYears}-${pad(d.getUTCMonth() + 1, 2)}`;
}

interface SeedAccount {
  id: string;
  kind: 'current' | 'savings' | 'credit-card' | 'brokerage';
  currency: CurrencyCode;
  number: string;
  balance: number;
  limit: number;
}

/** Running totals of the bank's own accounts, written once at the end. */
class LedgerTotals {
  readonly totals = new Map<string, number>();
  add(accountId: string, amount: number): number {
    const total = (this.totals.get(accountId) ?? 0) + amount;
    this.totals.set(accountId, total);
    return total;
  }
}

interface Context {
  /** Ids in insertion order (UUID-shaped): the seed appends to every primary-key B-tree instead of scattering. */
  nextId: () => string;
  writer: RowBuffer;
  ledger: LedgerTotals;
  asOf: number;
  seed: string;
  panKey: string;
  perCustomer: number;
  hashes: { generic: string; named: string[] };
  billerIds: Map<string, string>;
  counts: { accounts: number; cards: number; transactions: number; entries: number };
}

/**
 * Creates the demo bank on an empty store. On a store that already has customers it does
 * nothing and says so (`skipped`), so it is safe to run on every start.
 */
export async function seedDemoBank(store: Store, options: SeedOptions): Promise<SeedReport> {
  const started = performance.now();
  const total = Math.max(2, Math.floor(options.customers));
  const seed = String(options.seed ?? 'teller-demo');
  const asOf = options.asOf ?? Date.now();
  const perCustomer = options.transactionsPerCustomer ?? (total > 50_000 ? 3 : 40);
  const batchSize = options.batchSize ?? (total > 50_000 ? 5_000 : 1_000);
  const progress = options.onProgress ?? (() => undefined);
  const { db } = store;

  const existing = await db.selectFrom('customers').select('id').limit(1).executeTakeFirst();
  if (existing) {
    return {
      skipped: true,
      customers: 0,
      accounts: 0,
      cards: 0,
      transactions: 0,
      entries: 0,
      rows: 0,
      ms: 0,
    };
  }
  progress({ phase: 'prepare', done: 0, total });

  const rng = new SeededRandom(`${seed}:bank`);
  const salt = () => Buffer.from(rng.digits(32), 'utf8').subarray(0, 16);
  const hashes = {
    named: await Promise.all(demoCustomers.map((c) => hashPin(c.pin, salt()))),
    generic: await hashPin(demoGenericPin, salt()),
  };

  const billerIds = new Map<string, string>();
  await db.transaction().execute(async (tx) => {
    await ensureLedgerAccounts(tx, asOf - 2 * yearMs);
    for (const b of billers) {
      const accountId = billerAccountId(b.code);
      await tx
        .insertInto('bank_accounts')
        .values({
          id: accountId,
          customer_id: null,
          number: `GL-BILLER-${b.code}`,
          kind: 'internal',
          currency: 'CNY',
          status: 'active',
          name: `${b.nameEn} settlement`,
          balance: 0,
          held: 0,
          overdraft_limit: null,
          opened_at: asOf - 2 * yearMs,
          updated_at: asOf - 2 * yearMs,
        })
        .execute();
      const id = rng.uuid();
      billerIds.set(b.code, id);
      await tx
        .insertInto('bank_billers')
        .values({
          id,
          code: b.code,
          name_zh: b.nameZh,
          name_en: b.nameEn,
          category: b.category,
          currency: 'CNY',
          account_id: accountId,
          reference_pattern: b.digits === 0 ? '^1\\d{10}$' : `^\\d{${b.digits}}$`,
        })
        .execute();
    }
    const now = asOf;
    for (const s of demoSegments) {
      await tx
        .insertInto('crm_segments')
        .values({
          id: rng.uuid(),
          name: s.name,
          description: s.description,
          filter: JSON.stringify(s.filter),
          created_by: 'system',
          created_at: now,
          updated_at: now,
        })
        .execute();
    }
    for (const o of demoOffers) {
      await tx
        .insertInto('crm_offers')
        .values({
          id: rng.uuid(),
          code: o.code,
          name: o.name,
          pitch: o.pitch,
          priority: o.priority,
          conditions: JSON.stringify(o.conditions),
          active: 1,
          created_at: now,
          updated_at: now,
        })
        .execute();
    }
  });

  const config: GeneratorConfig = {
    seed,
    asOf,
    perCustomer,
    panKey: options.panKey ?? defaultPanKey,
    hashes,
    billerIds: [...billerIds],
    dialect: store.dialect,
  };
  const generator = new BankGenerator(config);
  const bulk = await enterBulkMode(store, options.deferIndexes ?? total >= 50_000);
  let rows = 0;
  try {
    for (let first = 1; first <= total; first += batchSize) {
      const last = Math.min(total, first + batchSize - 1);
      const payloads = generator.batch(first, last);
      await db.transaction().execute(async (tx) => {
        rows += await writePayloads(tx, store.dialect, tables, payloads);
      });
      progress({ phase: 'customers', done: last, total });
    }
  } finally {
    progress({ phase: 'finish', done: total, total });
    await bulk.leave();
  }
  const totals = generator.totals();

  await db.transaction().execute(async (tx) => {
    for (const [accountId, balance] of totals.ledger) {
      await tx
        .updateTable('bank_accounts')
        .set({ balance: sql<number>`balance + ${balance}` })
        .where('id', '=', accountId)
        .execute();
    }
  });
  // Fresh statistics, so the planners pick the indexes at once. On SQLite from a sample of
  // each index (analysis_limit), not a scan of millions of rows.
  if (store.dialect === 'sqlite') await sql`pragma analysis_limit = 1000`.execute(db);
  await sql`analyze`.execute(db);
  return {
    skipped: false,
    customers: total,
    accounts: totals.counts.accounts,
    cards: totals.counts.cards,
    transactions: totals.counts.transactions,
    entries: totals.counts.entries,
    rows,
    ms: Math.round(performance.now() - started),
  };
}

/** Everything the generator needs, as plain data. */
interface GeneratorConfig {
  seed: string;
  asOf: number;
  perCustomer: number;
  panKey: string;
  hashes: { named: string[]; generic: string };
  billerIds: Array<[code: string, id: string]>;
  dialect: Store['dialect'];
}

interface GeneratorTotals {
  ledger: Array<[accountId: string, amount: number]>;
  counts: { accounts: number; cards: number; transactions: number; entries: number };
}

/**
 * Generates the customers in order, batch by batch. The id counter and the bank's ledger
 * totals carry over from batch to batch, so batches must be asked for in order.
 */
class BankGenerator {
  private readonly ctx: Context;
  private expected = 1;

  constructor(config: GeneratorConfig) {
    const idTail = `${hash32(config.seed, 'ids').toString(16).padStart(8, '0')}${hash32(config.seed, 'ids', 2).toString(16).padStart(8, '0')}`;
    const idMiddle = `4${idTail.slice(0, 3)}-8${idTail.slice(3, 6)}-${idTail.slice(4, 16)}`;
    let idCounter = 0;
    this.ctx = {
      // Ids in insertion order (UUID-shaped): every primary-key B-tree is appended to.
      nextId: () => {
        const c = (++idCounter).toString(16).padStart(12, '0');
        return `${c.slice(0, 8)}-${c.slice(8, 12)}-${idMiddle}`;
      },
      writer: new RowBuffer(config.dialect, tables),
      ledger: new LedgerTotals(),
      asOf: config.asOf,
      seed: config.seed,
      panKey: config.panKey,
      perCustomer: config.perCustomer,
      hashes: config.hashes,
      billerIds: new Map(config.billerIds),
      counts: { accounts: 0, cards: 0, transactions: 0, entries: 0 },
    };
  }

  batch(first: number, last: number): Payload[] {
    if (first !== this.expected)
      throw new Error(`batches out of order: expected ${this.expected}, got ${first}`);
    for (let n = first; n <= last; n++) generateCustomer(this.ctx, n);
    this.expected = last + 1;
    return this.ctx.writer.drain();
  }

  totals(): GeneratorTotals {
    return { ledger: [...this.ctx.ledger.totals], counts: { ...this.ctx.counts } };
  }
}

type Tier = 'mass' | 'affluent' | 'private';

/**
 * The indexes whose keys the seed produces in random order (names, card-number hashes, the
 * bank's own accounts' entries by date). Every other index of the filled tables receives its
 * keys in ascending order — ids, numbers and phones follow the customer number — so keeping
 * it up to date is an append, as cheap as building it afterwards.
 */
const randomOrderIndexes = [
  'customers_search_name',
  'customers_name_zh',
  'bank_cards_pan',
  'bank_entries_account_at',
];

/**
 * Settings for a bulk load, undone by `leave`. SQLite: a larger page cache for the load and
 * foreign-key checks off (the seed writes parents before children by construction). For big
 * loads (`deferIndexes`), the indexes that would take keys in random order are dropped and
 * rebuilt after the load from their own definitions, which is far cheaper than inserting into
 * them at random places; a crash in between leaves them missing, which is why only big
 * (benchmark) loads do it.
 */
async function enterBulkMode(store: Store, deferIndexes: boolean): Promise<{ leave(): Promise<void> }> {
  const { db, dialect } = store;
  const restore: Array<() => Promise<unknown>> = [];
  if (dialect === 'sqlite') {
    const cache = await sql<{ cache_size: number }>`pragma cache_size`.execute(db);
    const foreignKeys = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(db);
    await sql`pragma cache_size = -262144`.execute(db);
    await sql`pragma foreign_keys = off`.execute(db);
    restore.push(() =>
      sql.raw(`pragma cache_size = ${Number(cache.rows[0]?.cache_size ?? -2000)}`).execute(db),
    );
    restore.push(() =>
      sql.raw(`pragma foreign_keys = ${Number(foreignKeys.rows[0]?.foreign_keys ?? 1)}`).execute(db),
    );
    if (deferIndexes) {
      // A big load into a fresh file: a rollback journal writes each new page once (WAL writes
      // it twice, log then checkpoint) and there is nothing to roll back to. Syncing happens
      // when WAL and full sync are restored at the end.
      const journal = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(db);
      const synchronous = await sql<{ synchronous: number }>`pragma synchronous`.execute(db);
      await sql`pragma journal_mode = delete`.execute(db);
      await sql`pragma synchronous = off`.execute(db);
      restore.push(() =>
        sql.raw(`pragma journal_mode = ${journal.rows[0]?.journal_mode ?? 'wal'}`).execute(db),
      );
      restore.push(() =>
        sql.raw(`pragma synchronous = ${Number(synchronous.rows[0]?.synchronous ?? 2)}`).execute(db),
      );
    }
  }
  if (deferIndexes) {
    const list = sql.join(randomOrderIndexes.map((t) => sql.lit(t)));
    const indexes =
      dialect === 'sqlite'
        ? (
            await sql<{ name: string; definition: string }>`select name, sql as definition from sqlite_master
              where type = 'index' and sql is not null and name in (${list})`.execute(db)
          ).rows
        : (
            await sql<{ name: string; definition: string }>`select indexname as name, indexdef as definition
              from pg_indexes where schemaname = current_schema() and indexname in (${list})`.execute(db)
          ).rows;
    for (const index of indexes) await sql`drop index ${sql.id(index.name)}`.execute(db);
    restore.unshift(async () => {
      for (const index of indexes) await sql.raw(index.definition).execute(db);
    });
  }
  return {
    async leave() {
      for (const step of restore) await step();
    },
  };
}

function tierOf(rng: SeededRandom): Tier {
  const x = rng.int(0, 99);
  return x < 80 ? 'mass' : x < 97 ? 'affluent' : 'private';
}

/** Amounts in fen scaled by tier: mass ×1, affluent ×5, private ×30. */
function scaled(rng: SeededRandom, tier: Tier, min: number, max: number): number {
  const factor = tier === 'mass' ? 1 : tier === 'affluent' ? 5 : 30;
  return rng.int(min, max) * factor;
}

function generateCustomer(ctx: Context, n: number): void {
  const { writer, asOf } = ctx;
  const rng = new SeededRandom(`${ctx.seed}:customer:${n}`);
  const named = demoCustomers[n - 1];
  const id = ctx.nextId();

  let nameZh: string;
  let nameLatin: string;
  if (named) {
    nameZh = named.nameZh;
    nameLatin = named.nameLatin;
  } else {
    const [sz, sl] = rng.pick(surnames);
    const given = rng.chance(60) ? [rng.pick(givenChars), rng.pick(givenChars)] : [rng.pick(givenChars)];
    nameZh = sz + given.map((g) => g[0]).join('');
    nameLatin = `${sl} ${given.map((g, i) => (i === 0 ? g[1] : g[1].toLowerCase())).join('')}`;
  }
  const tier: Tier = named?.tier ?? tierOf(rng);
  const language =
    n === 1 ? 'zh-CN' : n === 2 ? 'en' : rng.chance(85) ? 'zh-CN' : rng.chance(60) ? 'en' : 'zh-HK';
  const email = `${nameLatin.toLowerCase().replace(/\s+/g, '.')}.${n}@example.com`;
  const createdAt = asOf - yearMs - rng.int(30, 9 * 365) * dayMs;
  const consent = named
    ? [1, 1, 1]
    : [rng.chance(60), rng.chance(75), rng.chance(55)].map((b) => (b ? 1 : 0));
  const doNotCall = named ? 0 : rng.chance(8) ? 1 : 0;
  const lastContact = named ? asOf - 3 * dayMs : rng.chance(70) ? asOf - rng.int(1, 400) * dayMs : null;
  writer.add('customers', [
    id,
    `C${pad(n, 10)}`,
    nameZh,
    nameLatin,
    nameLatin.toLowerCase(),
    language,
    tier,
    JSON.stringify([email]),
    consent[0]!,
    consent[1]!,
    consent[2]!,
    doNotCall,
    lastContact,
    createdAt,
    createdAt,
  ]);

  const phone = named?.phone ?? `138${pad(n, 8)}`;
  writer.add('customer_phones', [id, phone, 'mobile', 1]);
  if (!named && rng.chance(20))
    writer.add('customer_phones', [id, `139${pad(n, 8)}`, rng.pick(['home', 'work']), 0]);
  const pinHash = named ? ctx.hashes.named[n - 1]! : ctx.hashes.generic;
  writer.add('bank_credentials', [id, pinHash, 0, 0, null, createdAt]);

  // ---- accounts ----
  const accounts: SeedAccount[] = [];
  const account = (
    kind: SeedAccount['kind'],
    currency: CurrencyCode,
    suffix: number,
    limit = 0,
  ): SeedAccount => {
    const a = {
      id: ctx.nextId(),
      kind,
      currency,
      number: `62170${pad(n, 9)}${pad(suffix, 2)}`,
      balance: 0,
      limit,
    };
    accounts.push(a);
    return a;
  };
  const current = account('current', 'CNY', 1);
  const savings = named || rng.chance(70) ? account('savings', 'CNY', 2) : null;
  const usd = named || rng.chance(tier === 'mass' ? 12 : 45) ? account('savings', 'USD', 3) : null;
  const hkd = named || rng.chance(tier === 'mass' ? 5 : 25) ? account('current', 'HKD', 4) : null;
  const eur =
    n === 2 || (!named && rng.chance(tier === 'mass' ? 3 : 15)) ? account('savings', 'EUR', 5) : null;
  const creditLimit = tier === 'mass' ? 20_000_00 : tier === 'affluent' ? 100_000_00 : 500_000_00;
  const credit =
    named || rng.chance(tier === 'mass' ? 35 : 70) ? account('credit-card', 'CNY', 6, creditLimit) : null;
  const brokerage = named || rng.chance(tier === 'mass' ? 8 : 40) ? account('brokerage', 'CNY', 7) : null;

  const openedAt = createdAt + rng.int(0, 29) * dayMs;
  const opening: Array<[SeedAccount, number]> = [
    [current, n === 1 ? 60_000_00 : n === 2 ? 1_200_000_00 : scaled(rng, tier, 3_000_00, 40_000_00)],
  ];
  if (savings)
    opening.push([
      savings,
      n === 1 ? 620_000_00 : n === 2 ? 3_800_000_00 : scaled(rng, tier, 5_000_00, 90_000_00),
    ]);
  if (usd)
    opening.push([usd, n === 1 ? 12_400_00 : n === 2 ? 250_000_00 : scaled(rng, tier, 500_00, 8_000_00)]);
  if (hkd)
    opening.push([hkd, n === 1 ? 8_000_00 : n === 2 ? 300_000_00 : scaled(rng, tier, 1_000_00, 20_000_00)]);
  if (eur) opening.push([eur, n === 2 ? 80_000_00 : scaled(rng, tier, 500_00, 6_000_00)]);
  if (brokerage) {
    opening.push([
      brokerage,
      n === 1 ? 150_000_00 : n === 2 ? 2_000_000_00 : scaled(rng, tier, 10_000_00, 60_000_00),
    ]);
  }
  // One opening transaction for all the accounts: balanced per currency against the bank's
  // opening account.
  posting(ctx, id, 'opening', 'Accounts opened: initial deposits', openedAt, [
    ...opening,
    ...[...new Set(opening.map(([a]) => a.currency))].map((currency): [string, number] => [
      ledgerAccountId('opening', currency),
      -opening.filter(([a]) => a.currency === currency).reduce((sum, [, amount]) => sum + amount, 0),
    ]),
  ]);

  // ---- a year of activity on the CNY current account and the credit card ----
  type Activity = { at: number; make: () => void };
  const activity: Activity[] = [];
  const t = ctx.perCustomer;
  const salaries = Math.min(12, Math.max(1, Math.round(t * 0.25)));
  const bills = Math.max(0, Math.round(t * 0.15));
  const cash = Math.max(0, Math.round(t * 0.1));
  const purchases = Math.max(0, t - salaries - bills - cash);
  const salary = scaled(rng, tier, 6_000_00, 15_000_00);
  for (let m = 0; m < salaries; m++) {
    const at = asOf - (m * yearMs) / 12 - rng.int(0, 3) * dayMs - 10 * 3_600_000;
    activity.push({
      at,
      make: () =>
        posting(ctx, id, 'salary', 'Salary', at, [
          [current, salary],
          [ledgerAccountId('clearing', 'CNY'), -salary],
        ]),
    });
  }
  for (let i = 0; i < purchases; i++) {
    const at = asOf - rng.int(1, yearMs - 1);
    const amount = scaled(rng, tier, 15_00, 1_200_00);
    const onCredit = credit !== null && rng.chance(50);
    const merchant = rng.pick([
      '美团 Meituan',
      '京东 JD.com',
      '盒马 Hema',
      '星巴克 Starbucks',
      '滴滴 DiDi',
      '携程 Trip.com',
    ]);
    activity.push({
      at,
      make: () =>
        posting(ctx, id, 'card-purchase', `Card purchase ${merchant}`, at, [
          [onCredit ? credit : current, -amount],
          [ledgerAccountId('card-settlement', 'CNY'), amount],
        ]),
    });
  }
  for (let i = 0; i < cash; i++) {
    const at = asOf - rng.int(1, yearMs - 1);
    const amount = rng.int(1, 30) * 100_00;
    activity.push({
      at,
      make: () =>
        posting(ctx, id, 'cash-withdrawal', 'ATM cash withdrawal', at, [
          [current, -amount],
          [ledgerAccountId('card-settlement', 'CNY'), amount],
        ]),
    });
  }

  // ---- billers, with payments in the history ----
  const registrations: Array<{
    id: string;
    billerId: string;
    code: string;
    reference: string;
    name: string;
  }> = [];
  // At benchmark scale (a few transactions each) every customer registers one biller.
  const wanted = named
    ? ['SGCC-BJ', 'BJWATER', 'BJGAS', 'CMCC']
    : ctx.perCustomer > 3
      ? [rng.pick(['SGCC-BJ', 'SGCC-SH']), rng.pick(['CMCC', 'CUCC', 'CTCC'])]
      : [rng.pick(['CMCC', 'CUCC', 'CTCC'])];
  if (!named && ctx.perCustomer > 10 && rng.chance(40)) wanted.push(rng.pick(['BJWATER', 'SHWATER']));
  for (const code of wanted) {
    const biller = billers.find((b) => b.code === code)!;
    const reference = biller.digits === 0 ? phone : rng.digits(biller.digits);
    const registration = {
      id: ctx.nextId(),
      billerId: ctx.billerIds.get(code)!,
      code,
      reference,
      name: biller.nameEn,
    };
    registrations.push(registration);
    writer.add('bank_biller_registrations', [
      registration.id,
      id,
      registration.billerId,
      reference,
      biller.category === 'telecom' ? 'My phone' : `Home ${biller.category}`,
      openedAt,
    ]);
  }
  for (let i = 0; i < bills; i++) {
    const at = asOf - rng.int(1, yearMs - 1);
    const registration = rng.pick(registrations);
    const amount = rng.int(30_00, 600_00);
    activity.push({
      at,
      make: () => {
        const txId = posting(ctx, id, 'bill-payment', `${registration.name} ${registration.reference}`, at, [
          [current, -amount],
          [billerAccountId(registration.code), amount],
        ]);
        if (txId) {
          writer.add('bank_bill_payments', [
            ctx.nextId(),
            txId,
            id,
            registration.id,
            registration.billerId,
            current.id,
            registration.reference,
            amount,
            'CNY',
            at,
          ]);
        }
      },
    });
  }
  // Credit-card repayments: at each month end, the current account pays what is owed.
  if (credit) {
    for (let m = 1; m <= 12 && m <= Math.max(1, Math.ceil(t / 4)); m++) {
      const at = asOf - (m * yearMs) / 12 + 5 * dayMs;
      activity.push({
        at,
        make: () => {
          const owed = -credit.balance;
          if (owed > 0 && current.balance >= owed) {
            posting(ctx, id, 'own-transfer', 'Credit card repayment', at, [
              [current, -owed],
              [credit, owed],
            ]);
          }
        },
      });
    }
  }
  activity.sort((a, b) => a.at - b.at);
  for (const a of activity) a.make();

  // ---- cards ----
  const holder = nameLatin.toUpperCase();
  const debitPan = named?.cardNumber ?? `6222020${pad(n, 9)}`;
  const issued = openedAt + dayMs;
  writer.add('bank_cards', [
    ctx.nextId(),
    id,
    current.id,
    'debit',
    panDigest(debitPan, ctx.panKey),
    debitPan.slice(-4),
    named || !rng.chance(1) ? 'active' : 'blocked',
    holder,
    ymOf(asOf, rng.int(1, 5)),
    null,
    issued,
    issued,
  ]);
  ctx.counts.cards++;
  if (credit) {
    const pan = `6259610${pad(n, 9)}`;
    writer.add('bank_cards', [
      ctx.nextId(),
      id,
      credit.id,
      'credit',
      panDigest(pan, ctx.panKey),
      pan.slice(-4),
      'active',
      holder,
      ymOf(asOf, rng.int(1, 5)),
      null,
      issued,
      issued,
    ]);
    ctx.counts.cards++;
  }

  // ---- accounts (with their final balances) ----
  for (const a of accounts) {
    writer.add('bank_accounts', [
      a.id,
      id,
      a.number,
      a.kind,
      a.currency,
      'active',
      a.kind === 'credit-card' ? 'Credit card' : `${a.currency} ${a.kind}`,
      a.balance,
      0,
      a.limit,
      openedAt,
      asOf,
    ]);
  }
  ctx.counts.accounts += accounts.length;

  if (brokerage) {
    const holdings =
      n === 1
        ? ['600519', '601398']
        : n === 2
          ? ['600519', '300750', '601318']
          : [rng.pick(listedStocks).symbol];
    for (const symbol of holdings) {
      const stock = listedStocks.find((s) => s.symbol === symbol)!;
      const quantity = (n === 1 && symbol === '601398' ? 50 : rng.int(1, 10)) * 100;
      writer.add('bank_positions', [brokerage.id, symbol, quantity, stock.base * quantity]);
    }
  }

  // ---- payees ----
  const payeeCount = n === 1 ? 2 : n === 2 ? 3 : rng.int(0, ctx.perCustomer > 3 ? 2 : 1);
  for (let i = 0; i < payeeCount; i++) {
    const [sz, sl] = rng.pick(surnames);
    const [gz, gl] = rng.pick(givenChars);
    writer.add('bank_payees', [
      ctx.nextId(),
      id,
      `${sz}${gz} ${sl} ${gl}`,
      rng.pick(otherBanks),
      `62${rng.digits(14)}`,
      'CNY',
      openedAt + i * dayMs,
    ]);
  }

  // ---- CRM: holdings, tags, timeline, cases, notes ----
  const holdingsOf = new Set<string>();
  if (n === 2) holdingsOf.add('wealth-management').add('insurance');
  else if (!named) {
    if (rng.chance(tier === 'mass' ? 3 : tier === 'affluent' ? 25 : 70)) holdingsOf.add('wealth-management');
    if (rng.chance(20)) holdingsOf.add('insurance');
    if (rng.chance(10)) holdingsOf.add('mortgage');
    if (rng.chance(10)) holdingsOf.add('fund');
  }
  for (const product of holdingsOf) writer.add('crm_holdings', [id, product, openedAt]);
  const tags = new Set<string>();
  if (tier === 'private') tags.add('vip');
  if (brokerage) tags.add('investor');
  if (n === 1 || usd || eur || (!named && rng.chance(10))) tags.add('travel');
  if (!named && rng.chance(15)) tags.add('young-professional');
  if (!named && rng.chance(2)) tags.add('complaint-risk');
  for (const tag of tags) writer.add('crm_tags', [id, tag]);

  const contacts = named ? 4 : rng.int(0, ctx.perCustomer > 10 ? 5 : 1);
  for (let i = 0; i < contacts; i++) {
    const [summary, outcome] = rng.pick(contactSummaries);
    const channel = rng.pick(channelsOfContact);
    const at = i === 0 && lastContact !== null ? lastContact : asOf - rng.int(4, 400) * dayMs;
    writer.add('crm_interactions', [
      ctx.nextId(),
      id,
      channel,
      channel === 'sms' || rng.chance(85) ? 'inbound' : 'outbound',
      at,
      null,
      null,
      summary,
      outcome,
    ]);
  }

  if (n === 1 || (!named && rng.chance(3))) {
    const caseId = ctx.nextId();
    const [subject, category] = n === 1 ? caseTemplates[0] : rng.pick(caseTemplates);
    const status = n === 1 ? 'open' : rng.pick(caseStatuses);
    const priority = n === 1 ? 'high' : rng.pick(casePriorities);
    const created = asOf - (n === 1 ? 2 : rng.int(1, 60)) * dayMs;
    const done = status === 'resolved' || status === 'closed';
    writer.add('crm_cases', [
      caseId,
      id,
      subject,
      category,
      status,
      priority,
      created + slaHours[priority] * 3_600_000,
      null,
      'system',
      created,
      created + dayMs,
      done ? created + dayMs : null,
    ]);
    writer.add('crm_case_history', [caseId, created, 'system', 'created', null, 'new', subject]);
    if (status !== 'new') {
      writer.add('crm_case_history', [caseId, created + dayMs, 'system', 'status', 'new', 'open', null]);
    }
    if (status !== 'new' && status !== 'open') {
      writer.add('crm_case_history', [
        caseId,
        created + dayMs,
        'system',
        'status',
        'open',
        status === 'closed' ? 'resolved' : status,
        null,
      ]);
      if (status === 'closed')
        writer.add('crm_case_history', [
          caseId,
          created + dayMs,
          'system',
          'status',
          'resolved',
          'closed',
          null,
        ]);
    }
    writer.add('crm_notes', [
      ctx.nextId(),
      id,
      caseId,
      'system',
      n === 1
        ? 'Customer disputes a 2,380.00 CNY charge from an online merchant; card kept active.'
        : `Case opened: ${subject}.`,
      created,
    ]);
  } else if (n === 2) {
    writer.add('crm_notes', [
      ctx.nextId(),
      id,
      null,
      'system',
      'Prefers English. Relationship manager: 陈静 Chen Jing.',
      asOf - 30 * dayMs,
    ]);
  }
}

/**
 * Writes one balanced ledger transaction for a seeded customer, keeping the running balances;
 * a debit the account cannot afford is skipped (returns null), as the real bank would refuse it.
 */
function posting(
  ctx: Context,
  customerId: string,
  kind: string,
  description: string,
  at: number,
  legs: Array<[SeedAccount | string, number]>,
): string | null {
  for (const [account, amount] of legs) {
    if (typeof account !== 'string' && amount < 0 && account.balance + amount < -account.limit) return null;
  }
  const id = ctx.nextId();
  ctx.writer.add('bank_transactions', [id, customerId, kind, description, 'system', 'seed', null, null, at]);
  for (const [account, amount] of legs) {
    let balance: number;
    let accountId: string;
    let currency: CurrencyCode;
    if (typeof account === 'string') {
      accountId = account;
      balance = ctx.ledger.add(account, amount);
      currency = account.split(':')[2] as CurrencyCode;
      if (account.startsWith('gl:biller:')) currency = 'CNY';
    } else {
      account.balance += amount;
      balance = account.balance;
      accountId = account.id;
      currency = account.currency;
    }
    ctx.writer.add('bank_entries', [id, accountId, amount, currency, balance, at]);
    ctx.counts.entries++;
  }
  ctx.counts.transactions++;
  return id;
}
