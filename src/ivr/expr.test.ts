import { describe, expect, it } from 'vitest';
import { type ExprEnv, evaluate, freeVariables, parseExpr, type Value } from './expr';

function env(
  vars: Record<string, Value>,
  local = { date: '2025-05-01', hour: 10, minute: 30, weekday: 4 },
): ExprEnv {
  return {
    lookup: (name) => {
      if (name === 'pin') throw Object.assign(new Error('secret'), { code: 'IVR_EXPR_SECRET' });
      return Object.hasOwn(vars, name) ? vars[name] : undefined;
    },
    local: () => local,
    isHoliday: (date) => date === '2025-05-01',
  };
}

const run = (source: string, vars: Record<string, Value> = {}) => evaluate(parseExpr(source), env(vars));

describe('expressions', () => {
  it.each<[string, Value]>([
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['10 % 4', 2],
    ['-2 + 5', 3],
    ["'a' + 'b'", 'ab'],
    ["'n' + 1", 'n1'],
    ['1 == 1', true],
    ["1 == '1'", false],
    ['2 >= 2 && 3 > 2', true],
    ['1 > 2 || 2 > 1', true],
    ['not true', false],
    ['!(1 < 2)', false],
    ["'b' in ['a', 'b']", true],
    ["'x' in 'xyz'", true],
    ["true ? 'yes' : 'no'", 'yes'],
    ["customer.tier == 'private' ? 5 : customer.tier == 'affluent' ? 3 : 1", 3],
    ['customer.missing', null],
    ['nothing', null],
    ['accounts[1].last4', '0002'],
    ['accounts.length', 2],
    ["len('abc') + len(accounts)", 5],
    ['hour() >= 8 and hour() < 22', true],
    ['weekday()', 4],
    ['today()', '2025-05-01'],
    ['isHoliday()', true],
    ["isHoliday('2025-05-02')", false],
    ['isBusinessDay()', false],
    ["contains(['a'], 'a')", true],
    ["startsWith(caller, '138')", true],
    ["lower('AbC')", 'abc'],
    ['str(12)', '12'],
    ["num('12.5') * 2", 25],
    ['coalesce(null, nothing, 7)', 7],
    ["money('100.5', 'CNY')", { minor: 10050, currency: 'CNY' }],
    ["money(amount, 'USD').minor", 1234],
    ["last4('6222020000000001')", '0001'],
    ['between(hour(), 9, 17)', true],
    ['[1, 2] == [1, 2]', true],
  ])('%s → %j', (source, value) => {
    expect(
      run(source, {
        customer: { tier: 'affluent' },
        accounts: [{ last4: '0001' }, { last4: '0002' }],
        caller: '13800000001',
        amount: '12.34',
      }),
    ).toEqual(value);
  });

  it.each([
    ['1 +', 'unexpected end'],
    ['(1', 'expected ")"'],
    ["'abc", 'unterminated string'],
    ['eval(1)', 'unknown function "eval"'],
    ['len()', 'len() takes 1 argument'],
    ['a $ b', 'unexpected "$"'],
    ['1 2', 'unexpected "2"'],
    ['a.', 'expected a property name'],
    ['in', 'unexpected "in"'],
  ])('refuses %s (%s)', (source, message) => {
    expect(() => parseExpr(source)).toThrow(expect.objectContaining({ code: 'IVR_EXPR_SYNTAX' }));
    expect(() => parseExpr(source)).toThrow(message);
  });

  it('refuses an overlong or overly nested expression', () => {
    expect(() => parseExpr(`${'1+'.repeat(300)}1`)).toThrow(
      expect.objectContaining({ code: 'IVR_EXPR_SYNTAX' }),
    );
    expect(() => parseExpr(`${'('.repeat(45)}1${')'.repeat(45)}`)).toThrow('nested too deeply');
  });

  it.each([
    ["1 < 'a'", 'cannot compare'],
    ['1 / 0', 'division by zero'],
    ["-'a'", 'needs a number'],
    ["money('1.234', 'CNY')", 'more than 2 decimal places'],
    ["money('1', 'XXX')", 'unknown currency'],
    ["num('abc')", 'cannot read'],
    ['1 in 2', '"in" needs a list'],
  ])('a type error in %s is an IVR_EXPR_TYPE (%s)', (source, message) => {
    expect(() => run(source)).toThrow(expect.objectContaining({ code: 'IVR_EXPR_TYPE' }));
    expect(() => run(source)).toThrow(message);
  });

  it('reads only own properties, never the prototype chain', () => {
    expect(run('customer.constructor', { customer: {} })).toBe(null);
    expect(run('customer.__proto__', { customer: {} })).toBe(null);
    expect(run("customer['toString']", { customer: {} })).toBe(null);
  });

  it('lets the environment refuse a secret', () => {
    expect(() => run('len(pin)')).toThrow('secret');
  });

  it('short-circuits, so the right side of a false "and" is never evaluated', () => {
    expect(run('false and 1 / 0 == 1')).toBe(false);
    expect(run('true or 1 / 0 == 1')).toBe(true);
  });

  it('names the variables an expression reads', () => {
    expect(
      [...freeVariables(parseExpr("customer.tier == 'x' && len(accounts[i]) > limit ? a : -b"))].sort(),
    ).toEqual(['a', 'accounts', 'b', 'customer', 'i', 'limit']);
  });
});
