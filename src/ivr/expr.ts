import { isCurrencyCode, parseMoney } from '../core/index';
import { ivrError } from './errors';

/**
 * The flows' small expression language: enough to branch on session variables, the
 * customer's tier, the time of day and the bank's holiday calendar — and nothing that could
 * loop, reach the process, or read a secret. It is parsed once when the flow is validated
 * (so a typo is reported with the step's path) and evaluated by walking the tree; there is
 * no `eval`, no `Function`, and a property is read only if it is the value's own.
 *
 *   expr    := cond
 *   cond    := or ('?' expr ':' expr)?
 *   or      := and (('||' | 'or') and)*
 *   and     := not (('&&' | 'and') not)*
 *   not     := ('!' | 'not') not | compare
 *   compare := sum (('==' | '!=' | '<' | '<=' | '>' | '>=' | 'in') sum)?
 *   sum     := product (('+' | '-') product)*
 *   product := unary (('*' | '/' | '%') unary)*
 *   unary   := '-' unary | postfix
 *   postfix := primary ('.' name | '[' expr ']')*
 *   primary := number | string | true | false | null | name | name '(' args ')' | '[' args ']' | '(' expr ')'
 *
 * `==` never converts (1 == '1' is false); `<` compares two numbers or two strings; `+` adds
 * numbers or joins strings; a missing variable or property is null.
 */
export type Value = null | boolean | number | string | readonly Value[] | { readonly [key: string]: Value };

export type Expr =
  | { t: 'lit'; v: Value }
  | { t: 'var'; name: string }
  | { t: 'member'; obj: Expr; key: string }
  | { t: 'index'; obj: Expr; index: Expr }
  | { t: 'not'; e: Expr }
  | { t: 'neg'; e: Expr }
  | { t: 'bin'; op: BinaryOp; l: Expr; r: Expr }
  | { t: 'and' | 'or'; l: Expr; r: Expr }
  | { t: 'cond'; c: Expr; a: Expr; b: Expr }
  | { t: 'call'; fn: FunctionName; args: Expr[] }
  | { t: 'list'; items: Expr[] };

type BinaryOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | '+' | '-' | '*' | '/' | '%';

/** What an expression can see besides its arguments: variables and the bank's clock and calendar. */
export interface ExprEnv {
  /** A variable's value, undefined when unset; throws for a secret. */
  lookup(name: string): Value | undefined;
  /** The bank's local date and time now. */
  local(): { date: string; hour: number; minute: number; weekday: number };
  isHoliday(date: string): boolean;
}

/** The functions a flow may call, with how many arguments each takes. */
const functions = {
  len: [1, 1],
  hour: [0, 0],
  minute: [0, 0],
  weekday: [0, 0],
  today: [0, 0],
  isHoliday: [0, 1],
  isBusinessDay: [0, 0],
  contains: [2, 2],
  startsWith: [2, 2],
  lower: [1, 1],
  str: [1, 1],
  num: [1, 1],
  coalesce: [1, 8],
  money: [2, 2],
  last4: [1, 1],
  between: [3, 3],
} as const satisfies Record<string, readonly [number, number]>;
export type FunctionName = keyof typeof functions;

export const maxExpressionLength = 500;

interface Token {
  kind: 'num' | 'str' | 'name' | 'op' | 'end';
  text: string;
  at: number;
}

const operators = [
  '&&',
  '||',
  '==',
  '!=',
  '<=',
  '>=',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '!',
  '?',
  ':',
  '(',
  ')',
  '[',
  ']',
  ',',
  '.',
];

function syntax(source: string, at: number, message: string): Error {
  return ivrError('IVR_EXPR_SYNTAX', `${message} at column ${at + 1} of "${source}"`);
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < source.length) {
    const c = source[at]!;
    if (c === ' ' || c === '\t' || c === '\n') {
      at++;
      continue;
    }
    const rest = source.slice(at);
    const number = /^\d+(?:\.\d+)?/.exec(rest);
    if (number) {
      tokens.push({ kind: 'num', text: number[0], at });
      at += number[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (name) {
      tokens.push({ kind: 'name', text: name[0], at });
      at += name[0].length;
      continue;
    }
    if (c === "'" || c === '"') {
      let end = at + 1;
      let text = '';
      while (end < source.length && source[end] !== c) {
        if (source[end] === '\\' && end + 1 < source.length) end++;
        text += source[end];
        end++;
      }
      if (end >= source.length) throw syntax(source, at, 'unterminated string');
      tokens.push({ kind: 'str', text, at });
      at = end + 1;
      continue;
    }
    const op = operators.find((candidate) => rest.startsWith(candidate));
    if (!op) throw syntax(source, at, `unexpected "${c}"`);
    tokens.push({ kind: 'op', text: op, at });
    at += op.length;
  }
  tokens.push({ kind: 'end', text: '', at: source.length });
  return tokens;
}

function isFunctionName(name: string): name is FunctionName {
  return Object.hasOwn(functions, name);
}

const keywords = new Set(['true', 'false', 'null', 'and', 'or', 'not', 'in']);

/** Parses an expression, or throws IVR_EXPR_SYNTAX naming the column. */
export function parseExpr(source: string): Expr {
  if (source.length > maxExpressionLength) {
    throw ivrError('IVR_EXPR_SYNTAX', `expression longer than ${maxExpressionLength} characters`);
  }
  const tokens = tokenize(source);
  let pos = 0;
  const peek = (): Token => tokens[pos]!;
  const isOp = (text: string): boolean => peek().kind === 'op' && peek().text === text;
  const isWord = (text: string): boolean => peek().kind === 'name' && peek().text === text;
  const expect = (text: string): void => {
    if (!isOp(text)) throw syntax(source, peek().at, `expected "${text}"`);
    pos++;
  };
  let depth = 0;

  const expr = (): Expr => {
    if (++depth > 40) throw syntax(source, peek().at, 'expression nested too deeply');
    const c = or();
    let result = c;
    if (isOp('?')) {
      pos++;
      const a = expr();
      expect(':');
      const b = expr();
      result = { t: 'cond', c, a, b };
    }
    depth--;
    return result;
  };
  const or = (): Expr => {
    let l = and();
    while (isOp('||') || isWord('or')) {
      pos++;
      l = { t: 'or', l, r: and() };
    }
    return l;
  };
  const and = (): Expr => {
    let l = not();
    while (isOp('&&') || isWord('and')) {
      pos++;
      l = { t: 'and', l, r: not() };
    }
    return l;
  };
  const not = (): Expr => {
    if (isOp('!') || isWord('not')) {
      pos++;
      return { t: 'not', e: not() };
    }
    return compare();
  };
  const compare = (): Expr => {
    const l = sum();
    for (const op of ['==', '!=', '<=', '>=', '<', '>'] as const) {
      if (isOp(op)) {
        pos++;
        return { t: 'bin', op, l, r: sum() };
      }
    }
    if (isWord('in')) {
      pos++;
      return { t: 'bin', op: 'in', l, r: sum() };
    }
    return l;
  };
  const sum = (): Expr => {
    let l = product();
    while (isOp('+') || isOp('-')) {
      const op = peek().text === '+' ? '+' : '-';
      pos++;
      l = { t: 'bin', op, l, r: product() };
    }
    return l;
  };
  const product = (): Expr => {
    let l = unary();
    while (isOp('*') || isOp('/') || isOp('%')) {
      const op = peek().text === '*' ? '*' : peek().text === '/' ? '/' : '%';
      pos++;
      l = { t: 'bin', op, l, r: unary() };
    }
    return l;
  };
  const unary = (): Expr => {
    if (isOp('-')) {
      pos++;
      return { t: 'neg', e: unary() };
    }
    return postfix();
  };
  const postfix = (): Expr => {
    let e = primary();
    for (;;) {
      if (isOp('.')) {
        pos++;
        const name = peek();
        if (name.kind !== 'name') throw syntax(source, name.at, 'expected a property name');
        pos++;
        e = { t: 'member', obj: e, key: name.text };
      } else if (isOp('[')) {
        pos++;
        const index = expr();
        expect(']');
        e = { t: 'index', obj: e, index };
      } else return e;
    }
  };
  const args = (close: string): Expr[] => {
    const out: Expr[] = [];
    if (isOp(close)) {
      pos++;
      return out;
    }
    for (;;) {
      out.push(expr());
      if (isOp(close)) {
        pos++;
        return out;
      }
      expect(',');
    }
  };
  const primary = (): Expr => {
    const token = peek();
    pos++;
    if (token.kind === 'num') return { t: 'lit', v: Number(token.text) };
    if (token.kind === 'str') return { t: 'lit', v: token.text };
    if (token.kind === 'op' && token.text === '(') {
      const e = expr();
      expect(')');
      return e;
    }
    if (token.kind === 'op' && token.text === '[') return { t: 'list', items: args(']') };
    if (token.kind === 'name') {
      if (token.text === 'true') return { t: 'lit', v: true };
      if (token.text === 'false') return { t: 'lit', v: false };
      if (token.text === 'null') return { t: 'lit', v: null };
      if (keywords.has(token.text)) throw syntax(source, token.at, `unexpected "${token.text}"`);
      if (isOp('(')) {
        if (!isFunctionName(token.text)) throw syntax(source, token.at, `unknown function "${token.text}"`);
        pos++;
        const list = args(')');
        const [min, max] = functions[token.text];
        if (list.length < min || list.length > max) {
          const want = min === max ? `${min}` : `${min} to ${max}`;
          throw syntax(source, token.at, `${token.text}() takes ${want} argument${max === 1 ? '' : 's'}`);
        }
        return { t: 'call', fn: token.text, args: list };
      }
      return { t: 'var', name: token.text };
    }
    throw syntax(source, token.at, token.kind === 'end' ? 'unexpected end' : `unexpected "${token.text}"`);
  };

  const result = expr();
  if (peek().kind !== 'end') throw syntax(source, peek().at, `unexpected "${peek().text}"`);
  return result;
}

/** The variables an expression reads at its top level (`customer` of `customer.tier`). */
export function freeVariables(e: Expr, into = new Set<string>()): Set<string> {
  switch (e.t) {
    case 'var':
      into.add(e.name);
      break;
    case 'member':
      freeVariables(e.obj, into);
      break;
    case 'index':
      freeVariables(e.obj, into);
      freeVariables(e.index, into);
      break;
    case 'not':
    case 'neg':
      freeVariables(e.e, into);
      break;
    case 'bin':
    case 'and':
    case 'or':
      freeVariables(e.l, into);
      freeVariables(e.r, into);
      break;
    case 'cond':
      freeVariables(e.c, into);
      freeVariables(e.a, into);
      freeVariables(e.b, into);
      break;
    case 'call':
    case 'list':
      for (const item of e.t === 'call' ? e.args : e.items) freeVariables(item, into);
      break;
    case 'lit':
      break;
  }
  return into;
}

function typeError(message: string): Error {
  return ivrError('IVR_EXPR_TYPE', message);
}

function describe(v: Value): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

function isRecord(v: Value): v is { readonly [key: string]: Value } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isList(v: Value): v is readonly Value[] {
  return Array.isArray(v);
}

export function truthy(v: Value): boolean {
  if (v === null || v === false || v === 0 || v === '') return false;
  return true;
}

function equal(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (isList(a) && isList(b)) return a.length === b.length && a.every((item, i) => equal(item, b[i] ?? null));
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((k) => Object.hasOwn(b, k) && equal(a[k] ?? null, b[k] ?? null))
    );
  }
  return false;
}

function number(v: Value, what: string): number {
  if (typeof v !== 'number') throw typeError(`${what} needs a number, got ${describe(v)}`);
  return v;
}

function text(v: Value, what: string): string {
  if (typeof v !== 'string') throw typeError(`${what} needs a string, got ${describe(v)}`);
  return v;
}

function finite(n: number, what: string): number {
  if (!Number.isFinite(n)) throw typeError(`${what} is not a finite number`);
  return n;
}

export function evaluate(e: Expr, env: ExprEnv): Value {
  switch (e.t) {
    case 'lit':
      return e.v;
    case 'var':
      return env.lookup(e.name) ?? null;
    case 'member': {
      const obj = evaluate(e.obj, env);
      if (isRecord(obj)) return Object.hasOwn(obj, e.key) ? (obj[e.key] ?? null) : null;
      if (isList(obj) && e.key === 'length') return obj.length;
      return null;
    }
    case 'index': {
      const obj = evaluate(e.obj, env);
      const index = evaluate(e.index, env);
      if (isList(obj) && typeof index === 'number') return obj[index] ?? null;
      if (isRecord(obj) && typeof index === 'string')
        return Object.hasOwn(obj, index) ? (obj[index] ?? null) : null;
      return null;
    }
    case 'not':
      return !truthy(evaluate(e.e, env));
    case 'neg':
      return -number(evaluate(e.e, env), 'unary -');
    case 'and': {
      const l = evaluate(e.l, env);
      return truthy(l) ? evaluate(e.r, env) : l;
    }
    case 'or': {
      const l = evaluate(e.l, env);
      return truthy(l) ? l : evaluate(e.r, env);
    }
    case 'cond':
      return truthy(evaluate(e.c, env)) ? evaluate(e.a, env) : evaluate(e.b, env);
    case 'list':
      return e.items.map((item) => evaluate(item, env));
    case 'bin':
      return binary(e.op, evaluate(e.l, env), evaluate(e.r, env));
    case 'call':
      return call(
        e.fn,
        e.args.map((arg) => evaluate(arg, env)),
        env,
      );
  }
}

function binary(op: BinaryOp, l: Value, r: Value): Value {
  switch (op) {
    case '==':
      return equal(l, r);
    case '!=':
      return !equal(l, r);
    case 'in':
      if (isList(r)) return r.some((item) => equal(item, l));
      if (typeof r === 'string' && typeof l === 'string') return r.includes(l);
      throw typeError(`"in" needs a list or a string on its right, got ${describe(r)}`);
    case '<':
    case '<=':
    case '>':
    case '>=': {
      if (
        !(
          (typeof l === 'number' && typeof r === 'number') ||
          (typeof l === 'string' && typeof r === 'string')
        )
      ) {
        throw typeError(`cannot compare ${describe(l)} with ${describe(r)}`);
      }
      if (op === '<') return l < r;
      if (op === '<=') return l <= r;
      if (op === '>') return l > r;
      return l >= r;
    }
    case '+':
      if (typeof l === 'string' && typeof r === 'string') return l + r;
      if (typeof l === 'string' && typeof r === 'number') return l + String(r);
      return finite(number(l, '+') + number(r, '+'), '+');
    case '-':
      return finite(number(l, '-') - number(r, '-'), '-');
    case '*':
      return finite(number(l, '*') * number(r, '*'), '*');
    case '/':
    case '%': {
      const divisor = number(r, op);
      if (divisor === 0) throw typeError('division by zero');
      return op === '/' ? number(l, '/') / divisor : number(l, '%') % divisor;
    }
  }
}

function call(fn: FunctionName, args: Value[], env: ExprEnv): Value {
  const a = args[0] ?? null;
  const b = args[1] ?? null;
  switch (fn) {
    case 'len':
      if (typeof a === 'string' || isList(a)) return a.length;
      if (a === null) return 0;
      throw typeError(`len() needs a string or a list, got ${describe(a)}`);
    case 'hour':
      return env.local().hour;
    case 'minute':
      return env.local().minute;
    case 'weekday':
      return env.local().weekday;
    case 'today':
      return env.local().date;
    case 'isHoliday':
      return env.isHoliday(args.length === 0 ? env.local().date : text(a, 'isHoliday()'));
    case 'isBusinessDay': {
      const now = env.local();
      return now.weekday <= 5 && !env.isHoliday(now.date);
    }
    case 'contains':
      if (isList(a)) return a.some((item) => equal(item, b));
      return text(a, 'contains()').includes(text(b, 'contains()'));
    case 'startsWith':
      return text(a, 'startsWith()').startsWith(text(b, 'startsWith()'));
    case 'lower':
      return text(a, 'lower()').toLowerCase();
    case 'str':
      if (a === null || typeof a === 'object') return JSON.stringify(a);
      return String(a);
    case 'num': {
      if (typeof a === 'number') return a;
      const s = text(a, 'num()');
      if (!/^-?\d+(\.\d+)?$/.test(s)) throw typeError(`num() cannot read "${s}"`);
      return Number(s);
    }
    case 'coalesce':
      return args.find((arg) => arg !== null) ?? null;
    case 'money': {
      const currency = text(b, 'money()');
      if (!isCurrencyCode(currency)) throw typeError(`money(): unknown currency ${currency}`);
      const amount = typeof a === 'number' ? String(a) : text(a, 'money()');
      try {
        const m = parseMoney(amount, currency);
        return { minor: m.minor, currency: m.currency };
      } catch (error) {
        throw ivrError(
          'IVR_EXPR_TYPE',
          `money(): ${error instanceof Error ? error.message : String(error)}`,
          error,
        );
      }
    }
    case 'last4':
      return text(a, 'last4()').slice(-4);
    case 'between': {
      const x = number(a, 'between()');
      return x >= number(b, 'between()') && x <= number(args[2] ?? null, 'between()');
    }
  }
}
