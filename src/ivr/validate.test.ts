import { describe, expect, it } from 'vitest';
import { promptText } from './prompts';
import { parseFlow, parseFlowText, validateFlow } from './validate';

function flow(steps: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { format: 1, id: 'demo', name: 'Demo', defaultLanguage: 'zh', start: 'main-menu', steps, ...extra };
}

const mainMenu = {
  type: 'menu',
  prompts: ['menu/main'],
  choices: { '1': { goto: 'balance' }, '3': { goto: 'transfre' } },
  onFail: 'bye',
};
const bye = { type: 'hangup', prompts: ['goodbye'] };

function issuesOf(document: unknown, options = {}): string[] {
  const result = validateFlow(document, options);
  return result.ok ? [] : result.issues.map((issue) => `${issue.field}: ${issue.message}`);
}

describe('flow validation', () => {
  it('names the step path of an unknown goto and suggests the step meant', () => {
    const issues = issuesOf(
      flow({ 'main-menu': mainMenu, balance: { type: 'balance', next: 'bye' }, transfer: bye, bye }),
    );
    expect(issues).toEqual([
      'steps.main-menu.choices.3.goto: unknown step "transfre" (did you mean "transfer"?)',
    ]);
  });

  it('accepts a correct flow, fills defaults, and warns of a step nothing leads to', () => {
    const result = validateFlow(
      flow({
        'main-menu': { ...mainMenu, choices: { '1': { goto: 'balance' } } },
        balance: { type: 'balance', next: 'bye' },
        orphan: bye,
        bye,
      }),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.warnings).toEqual(['steps.orphan: no step leads here']);
    const menu = result.flow.steps['main-menu'];
    expect(menu?.type === 'menu' && [menu.timeoutMs, menu.retries, menu.bargeIn]).toEqual([5000, 2, true]);
    expect(result.flow.languages).toEqual(['zh', 'en']);
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>, string]>([
    [
      'an unknown step type',
      { x: { type: 'plya', next: 'bye' } },
      {},
      'steps.x.type: unknown step type "plya" (did you mean "play"?)',
    ],
    ['a step without a type', { x: { next: 'bye' } }, {}, 'steps.x.type: a step needs a "type"'],
    [
      'a misspelt field',
      { x: { type: 'play', prompts: ['welcome'], nxet: 'bye', next: 'bye' } },
      {},
      'steps.x: Unrecognized key: "nxet"',
    ],
    ['an unknown start', {}, { start: 'begin' }, 'start: unknown step "begin"'],
    [
      'a bad step id',
      { 'Main Menu': bye },
      {},
      'steps.Main Menu: "Main Menu": a step id is lower-case letters, digits and dashes, starting with a letter',
    ],
    [
      'a bad menu key',
      { x: { ...mainMenu, choices: { '10': { goto: 'bye' } } } },
      {},
      'steps.x.choices: Unrecognized key: "10"',
    ],
    [
      'an empty menu',
      { x: { ...mainMenu, choices: {} } },
      {},
      'steps.x.choices: a menu needs at least one choice',
    ],
    [
      'a repeat key that is a choice',
      { x: { ...mainMenu, choices: { '1': { goto: 'bye' } }, repeatKey: '1' } },
      {},
      'steps.x.repeatKey: key 1 is already a choice',
    ],
    [
      'a syntax error in a branch',
      {
        x: {
          type: 'branch',
          cases: [{ when: "customer.tier == 'private' &&", goto: 'bye' }],
          otherwise: 'bye',
        },
      },
      {},
      'steps.x.cases.0.when: unexpected end at column 30',
    ],
    [
      'an unknown function',
      { x: { type: 'set', assign: { late: 'clock() > 20' }, next: 'bye' } },
      {},
      'steps.x.assign.late: unknown function "clock"',
    ],
    [
      'collect with min above max',
      {
        x: {
          type: 'collect',
          prompts: ['collect/pin'],
          into: 'pin',
          min: 6,
          max: 4,
          next: 'bye',
          onFail: 'bye',
        },
      },
      {},
      'steps.x.min: min 6 is more than max 4',
    ],
    [
      'a masked entry without its kind',
      {
        x: {
          type: 'collect',
          prompts: ['collect/pin'],
          into: 'pin',
          min: 6,
          max: 6,
          masked: true,
          next: 'bye',
          onFail: 'bye',
        },
      },
      {},
      'steps.x.secret: a masked entry says what it is',
    ],
    [
      'a PIN that is not masked',
      {
        x: {
          type: 'collect',
          prompts: ['collect/pin'],
          into: 'pin',
          min: 6,
          max: 6,
          secret: 'pin',
          next: 'bye',
          onFail: 'bye',
        },
      },
      {},
      'steps.x.masked: a pin is always masked',
    ],
    [
      'a decimal key that also terminates',
      {
        x: {
          type: 'collect',
          prompts: ['collect/amount'],
          into: 'amount',
          min: 1,
          max: 9,
          terminator: '*',
          decimalKey: '*',
          next: 'bye',
          onFail: 'bye',
        },
      },
      {},
      'steps.x.decimalKey: the decimal key cannot also end the entry',
    ],
    [
      'assigning a reserved name',
      { x: { type: 'set', assign: { customer: "'x'" }, next: 'bye' } },
      {},
      'steps.x.assign.customer: "customer" is set by the interpreter',
    ],
    [
      'a transfer to both an account and a payee',
      { x: { type: 'transfer', from: 'a', to: 'b', payee: 'c', amount: 'm', next: 'bye', onCancel: 'bye' } },
      {},
      'steps.x.to: a transfer goes either "to" an own account or to a "payee"',
    ],
    [
      'a card kind among accounts',
      {
        x: {
          type: 'choose',
          from: 'accounts',
          kinds: ['debit'],
          prompts: [],
          into: 'acct',
          next: 'bye',
          onEmpty: 'bye',
          onFail: 'bye',
        },
      },
      {},
      'steps.x.kinds.0: "debit" is not a kind of accounts',
    ],
    [
      'a flow that calls itself',
      { x: { type: 'subflow', flow: 'demo', next: 'bye' } },
      {},
      'steps.x.flow: a flow cannot call itself',
    ],
    [
      'an SMS placeholder without a value',
      { x: { type: 'sms', message: { zh: '已转账{amount}', en: 'Sent {amount}' }, next: 'bye' } },
      {},
      'steps.x.message.zh: placeholder {amount} has no entry in params',
    ],
    [
      'an http URL that is not http',
      { x: { type: 'http', url: 'file:///etc/passwd', into: 'r', next: 'bye' } },
      {},
      'steps.x.url: an http or https URL',
    ],
    [
      'a default language the flow does not speak',
      {},
      { languages: ['en'] },
      'defaultLanguage: "zh" is not one of the flow\'s languages',
    ],
    [
      'an unknown currency',
      { x: { type: 'deposit-rates', currency: 'XYZ', next: 'bye' } },
      {},
      'steps.x.currency',
    ],
    ['a wrong format', {}, { format: 2 }, 'format:'],
  ])('reports %s', (_name, steps, extra, expected) => {
    const issues = issuesOf(
      flow({ 'main-menu': { ...mainMenu, choices: { '1': { goto: 'bye' } } }, bye, ...steps }, extra),
    );
    expect(
      issues.some((issue) => issue.startsWith(expected)),
      issues.join('\n'),
    ).toBe(true);
  });

  it('checks prompts in every language the flow speaks, and subflows when told how', () => {
    const issues = issuesOf(
      flow({
        'main-menu': {
          ...mainMenu,
          prompts: ['menu/main', 'choose/for', 'en/choose/for', 'zh/nope'],
          choices: { '1': { goto: 'sub' } },
        },
        sub: { type: 'subflow', flow: 'authenticate', next: 'bye' },
        bye,
      }),
      { promptExists: (id: string) => promptText(id) !== undefined, flowExists: () => false },
    );
    expect(issues).toEqual([
      'steps.main-menu.prompts.1: no prompt "zh/choose/for"',
      'steps.main-menu.prompts.3: no prompt "zh/nope"',
      'steps.sub.flow: unknown flow "authenticate"',
    ]);
  });

  it('parseFlow throws IVR_FLOW_INVALID carrying every issue as a field', () => {
    const document = flow({ 'main-menu': mainMenu, balance: { type: 'balance', next: 'nowhere' }, bye });
    try {
      parseFlow(document);
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'IVR_FLOW_INVALID', kind: 'invalid' });
      expect((error as { fields: unknown[] }).fields).toEqual([
        { field: 'steps.main-menu.choices.3.goto', message: 'unknown step "transfre"' },
        { field: 'steps.balance.next', message: 'unknown step "nowhere"' },
      ]);
      expect((error as Error).message).toContain('steps.main-menu.choices.3.goto: unknown step "transfre"');
    }
  });

  it('parseFlowText names the file when it is not JSON', () => {
    expect(() => parseFlowText('{"format": 1,', 'flows/x.json')).toThrow(/^flows\/x\.json is not JSON/);
  });
});
