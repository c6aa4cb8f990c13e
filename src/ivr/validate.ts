import type { FieldIssue } from '../core/index';
import { TellerError } from '../core/index';
import { ivrError } from './errors';
import { parseExpr } from './expr';
import { type Flow, flowSchema, type Step, type StepType } from './flow';
import type { Lang } from './speech';

/**
 * Validation of a flow document: the zod schema first, then what a schema cannot say — that
 * every step a flow names exists, that every expression parses, that prompts exist in every
 * language the flow speaks. Each issue names its path in the document, such as
 * `steps.main-menu.choices.3.goto: unknown step "transfre" (did you mean "transfer"?)`.
 */

/** Names the interpreter fills in; a flow reads them but never assigns them. */
export const reservedNames = [
  'customer',
  'caller',
  'called',
  'lang',
  'verification',
  'lastError',
  'intent',
  'session',
] as const;

export interface ValidateOptions {
  /** Whether a full prompt id (`zh/menu/main`) can be played. Skipped when absent. */
  promptExists?: (id: string) => boolean;
  /** Whether a subflow id can be resolved. Skipped when absent. */
  flowExists?: (id: string) => boolean;
}

export type FlowValidation =
  | { ok: true; flow: Flow; warnings: string[] }
  | { ok: false; issues: FieldIssue[] };

/** Fields of each step type that name another step. */
const stepRefs: Record<StepType, readonly string[]> = {
  play: ['next'],
  say: ['next', 'onError'],
  menu: ['onFail'],
  collect: ['next', 'onFail', 'onError'],
  identify: ['next', 'onUnknown', 'onError'],
  language: ['next', 'onError'],
  authenticate: ['next', 'onInvalid', 'onLocked', 'onUnknown', 'onError'],
  choose: ['next', 'onEmpty', 'onFail', 'onError'],
  balance: ['next', 'onError'],
  transactions: ['next', 'onError'],
  'payment-records': ['next', 'onError'],
  transfer: ['next', 'onCancel', 'onError'],
  'bill-payment': ['next', 'onCancel', 'onError'],
  cheque: ['next', 'onCancel', 'onError'],
  'deposit-rates': ['next', 'onError'],
  'fx-rates': ['next', 'onError'],
  'fx-purchase': ['next', 'onCancel', 'onError'],
  'stock-quote': ['next', 'onError'],
  'stock-order': ['next', 'onCancel', 'onError'],
  'lost-card': ['next', 'onCancel', 'onError'],
  set: ['next', 'onError'],
  branch: ['otherwise', 'onError'],
  queue: ['onError'],
  callback: ['next', 'onError'],
  sms: ['next', 'onError'],
  http: ['next', 'onError'],
  subflow: ['next', 'onError'],
  return: [],
  goto: ['to'],
  hangup: [],
};

/** Fields of each step type that hold one expression. */
const exprFields: Record<StepType, readonly string[]> = {
  play: [],
  say: [],
  menu: [],
  collect: [],
  identify: [],
  language: ['value'],
  authenticate: [],
  choose: ['exclude'],
  balance: ['account'],
  transactions: ['account'],
  'payment-records': [],
  transfer: ['from', 'to', 'payee', 'amount'],
  'bill-payment': ['from', 'biller', 'amount'],
  cheque: ['from', 'amount'],
  'deposit-rates': [],
  'fx-rates': [],
  'fx-purchase': ['from', 'to', 'amount'],
  'stock-quote': ['symbol'],
  'stock-order': ['symbol', 'quantity', 'limitPrice'],
  'lost-card': ['card', 'reason'],
  set: [],
  branch: [],
  queue: ['priority'],
  callback: ['number', 'priority'],
  sms: ['to'],
  http: [],
  subflow: [],
  return: [],
  goto: [],
  hangup: [],
};

function fieldOf(step: Step, name: string): unknown {
  return Object.hasOwn(step, name) ? (step as Record<string, unknown>)[name] : undefined;
}

/** Every step id a step names, with the path of the field that names it. */
export function stepTargets(step: Step, path: string): { path: string; target: string }[] {
  const out: { path: string; target: string }[] = [];
  for (const name of stepRefs[step.type]) {
    const target = fieldOf(step, name);
    if (typeof target === 'string') out.push({ path: `${path}.${name}`, target });
  }
  if (step.type === 'menu') {
    for (const [key, choice] of Object.entries(step.choices)) {
      if (choice) out.push({ path: `${path}.choices.${key}.goto`, target: choice.goto });
    }
  }
  if (step.type === 'branch') {
    step.cases.forEach((c, i) => {
      out.push({ path: `${path}.cases.${i}.goto`, target: c.goto });
    });
  }
  return out;
}

/** Every expression of a step, with its path. */
export function stepExpressions(step: Step, path: string): { path: string; source: string }[] {
  const out: { path: string; source: string }[] = [];
  for (const name of exprFields[step.type]) {
    const source = fieldOf(step, name);
    if (typeof source === 'string') out.push({ path: `${path}.${name}`, source });
  }
  const record = (field: string, values: Record<string, string> | undefined) => {
    for (const [key, source] of Object.entries(values ?? {}))
      out.push({ path: `${path}.${field}.${key}`, source });
  };
  if (step.type === 'set') record('assign', step.assign);
  if (step.type === 'queue' || step.type === 'callback') record('data', step.data);
  if (step.type === 'sms') record('params', step.params);
  if (step.type === 'http') {
    record('query', step.query);
    record('body', step.body);
  }
  if (step.type === 'branch') {
    step.cases.forEach((c, i) => {
      out.push({ path: `${path}.cases.${i}.when`, source: c.when });
    });
  }
  if (step.type === 'say') {
    step.parts.forEach((part, i) => {
      for (const [kind, source] of Object.entries(part)) {
        if (kind !== 'prompt' && kind !== 'weekday' && typeof source === 'string') {
          out.push({ path: `${path}.parts.${i}.${kind}`, source });
        }
      }
    });
  }
  return out;
}

/** Every prompt a step plays by name, with its path. */
export function stepPrompts(step: Step, path: string): { path: string; ref: string }[] {
  const out: { path: string; ref: string }[] = [];
  const list = fieldOf(step, 'prompts');
  if (Array.isArray(list)) {
    list.forEach((ref, i) => {
      if (typeof ref === 'string') out.push({ path: `${path}.prompts.${i}`, ref });
    });
  }
  for (const name of ['invalidPrompt', 'timeoutPrompt']) {
    const ref = fieldOf(step, name);
    if (typeof ref === 'string') out.push({ path: `${path}.${name}`, ref });
  }
  if (step.type === 'say') {
    step.parts.forEach((part, i) => {
      if ('prompt' in part) out.push({ path: `${path}.parts.${i}.prompt`, ref: part.prompt });
    });
  }
  return out;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

function suggestion(wrong: string, known: Iterable<string>): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = distance(wrong, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best ? ` (did you mean "${best}"?)` : '';
}

function schemaIssues(input: unknown): FieldIssue[] | Flow {
  const parsed = flowSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  return parsed.error.issues.map((issue) => {
    const field = issue.path.map(String).join('.') || '(document)';
    if (issue.code === 'invalid_union' && issue.path[issue.path.length - 1] === 'type') {
      const given = readPath(input, issue.path);
      const options = Object.keys(stepRefs);
      const message =
        given === undefined
          ? 'a step needs a "type"'
          : `unknown step type ${JSON.stringify(given)}${typeof given === 'string' ? suggestion(given, options) : ''}`;
      return { field, message };
    }
    if (issue.code === 'invalid_key') {
      return {
        field,
        message: `${JSON.stringify(issue.path[issue.path.length - 1])}: ${issue.issues[0]?.message ?? issue.message}`,
      };
    }
    return { field, message: issue.message };
  });
}

function readPath(value: unknown, path: readonly PropertyKey[]): unknown {
  let here = value;
  for (const key of path) {
    if (typeof here !== 'object' || here === null || !Object.hasOwn(here, key)) return undefined;
    here = (here as Record<PropertyKey, unknown>)[key];
  }
  return here;
}

export function validateFlow(input: unknown, options: ValidateOptions = {}): FlowValidation {
  const parsed = schemaIssues(input);
  if (Array.isArray(parsed)) return { ok: false, issues: parsed };
  const flow = parsed;
  const issues: FieldIssue[] = [];
  const stepIds = Object.keys(flow.steps);
  const known = new Set(stepIds);
  const reserved = new Set<string>(reservedNames);
  const refer = (path: string, target: string) => {
    if (!known.has(target))
      issues.push({ field: path, message: `unknown step "${target}"${suggestion(target, stepIds)}` });
  };

  refer('start', flow.start);
  if (flow.onError) refer('onError', flow.onError);
  if (!flow.languages.includes(flow.defaultLanguage)) {
    issues.push({
      field: 'defaultLanguage',
      message: `"${flow.defaultLanguage}" is not one of the flow's languages`,
    });
  }
  for (const name of Object.keys(flow.variables)) {
    if (reserved.has(name))
      issues.push({ field: `variables.${name}`, message: `"${name}" is set by the interpreter` });
  }

  // A PIN or card number reaches authenticate only through a masked entry, never a plain variable.
  const maskedInto = new Map<string, string>();
  for (const step of Object.values(flow.steps)) {
    if (step.type === 'collect' && step.masked && step.secret) maskedInto.set(step.into, step.secret);
  }

  for (const [id, step] of Object.entries(flow.steps)) {
    const path = `steps.${id}`;
    if (step.type === 'authenticate') {
      if (maskedInto.get(step.pin) !== 'pin') {
        issues.push({
          field: `${path}.pin`,
          message: `"${step.pin}" is not collected by a masked PIN entry`,
        });
      }
      if (step.card && maskedInto.get(step.card) !== 'card-number') {
        issues.push({
          field: `${path}.card`,
          message: `"${step.card}" is not collected by a masked card-number entry`,
        });
      }
    }
    for (const { path: at, target } of stepTargets(step, path)) refer(at, target);
    for (const { path: at, source } of stepExpressions(step, path)) {
      try {
        parseExpr(source);
      } catch (error) {
        issues.push({ field: at, message: error instanceof Error ? error.message : String(error) });
      }
    }
    if (options.promptExists) {
      for (const { path: at, ref } of stepPrompts(step, path)) {
        const missing = missingPrompt(ref, flow.languages, options.promptExists);
        if (missing) issues.push({ field: at, message: `no prompt "${missing}"` });
      }
    }
    for (const name of assignedNames(step)) {
      if (reserved.has(name.name)) {
        issues.push({ field: `${path}.${name.field}`, message: `"${name.name}" is set by the interpreter` });
      }
    }
    stepRules(step, path, flow, options, issues);
  }
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, flow, warnings: unreachable(flow).map((id) => `steps.${id}: no step leads here`) };
}

function missingPrompt(
  ref: string,
  langs: readonly Lang[],
  exists: (id: string) => boolean,
): string | undefined {
  const head = ref.split('/', 1)[0];
  if (head === 'zh' || head === 'en') return exists(ref) ? undefined : ref;
  for (const lang of langs) if (!exists(`${lang}/${ref}`)) return `${lang}/${ref}`;
  return undefined;
}

function assignedNames(step: Step): { field: string; name: string }[] {
  if (step.type === 'set') return Object.keys(step.assign).map((name) => ({ field: `assign.${name}`, name }));
  if (step.type === 'collect' || step.type === 'choose' || step.type === 'http') {
    return [{ field: 'into', name: step.into }];
  }
  return [];
}

function stepRules(
  step: Step,
  path: string,
  flow: Flow,
  options: ValidateOptions,
  issues: FieldIssue[],
): void {
  const issue = (field: string, message: string) => issues.push({ field: `${path}.${field}`, message });
  switch (step.type) {
    case 'collect':
      if (step.min > step.max) issue('min', `min ${step.min} is more than max ${step.max}`);
      if (step.masked && !step.secret)
        issue('secret', 'a masked entry says what it is: "pin" or "card-number"');
      if (step.secret && !step.masked) issue('masked', `a ${step.secret} is always masked`);
      if (step.decimalKey && step.decimalKey === step.terminator) {
        issue('decimalKey', 'the decimal key cannot also end the entry');
      }
      break;
    case 'menu':
      if (Object.keys(step.choices).length === 0) issue('choices', 'a menu needs at least one choice');
      if (step.repeatKey && step.choices[step.repeatKey]) {
        issue('repeatKey', `key ${step.repeatKey} is already a choice`);
      }
      break;
    case 'transfer':
      if ((step.to === undefined) === (step.payee === undefined)) {
        issue('to', 'a transfer goes either "to" an own account or to a "payee"');
      }
      break;
    case 'choose': {
      const accountKinds = ['current', 'savings', 'credit-card', 'brokerage'];
      const cardKinds = ['debit', 'credit'];
      const allowed = step.from === 'accounts' ? accountKinds : step.from === 'cards' ? cardKinds : [];
      step.kinds?.forEach((kind, i) => {
        if (!allowed.includes(kind)) issue(`kinds.${i}`, `"${kind}" is not a kind of ${step.from}`);
      });
      break;
    }
    case 'subflow':
      if (step.flow === flow.id) issue('flow', 'a flow cannot call itself');
      else if (options.flowExists && !options.flowExists(step.flow))
        issue('flow', `unknown flow "${step.flow}"`);
      break;
    case 'sms':
      for (const lang of ['zh', 'en'] as const) {
        for (const match of step.message[lang].matchAll(/\{([^}]*)\}/g)) {
          if (!Object.hasOwn(step.params, match[1] ?? '')) {
            issue(`message.${lang}`, `placeholder {${match[1]}} has no entry in params`);
          }
        }
      }
      break;
    default:
      break;
  }
}

function unreachable(flow: Flow): string[] {
  const seen = new Set<string>();
  const queue = [flow.start, ...(flow.onError ? [flow.onError] : [])];
  while (queue.length > 0) {
    const id = queue.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const step = flow.steps[id];
    if (step) for (const { target } of stepTargets(step, '')) queue.push(target);
  }
  return Object.keys(flow.steps).filter((id) => !seen.has(id));
}

/** Validates or throws IVR_FLOW_INVALID, whose message lists the first issues by path. */
export function parseFlow(input: unknown, options: ValidateOptions = {}): Flow {
  const result = validateFlow(input, options);
  if (result.ok) return result.flow;
  throw flowInvalid(result.issues);
}

export function flowInvalid(issues: FieldIssue[]): TellerError {
  const shown = issues.slice(0, 5).map((issue) => `${issue.field}: ${issue.message}`);
  const more = issues.length > 5 ? `; and ${issues.length - 5} more` : '';
  return new TellerError('IVR_FLOW_INVALID', 'invalid', `invalid flow: ${shown.join('; ')}${more}`, {
    fields: issues,
  });
}

/** Parses a flow file's text (JSON), naming the source in the error when it is not JSON. */
export function parseFlowText(text: string, source: string, options: ValidateOptions = {}): Flow {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw ivrError(
      'IVR_FLOW_INVALID',
      `${source} is not JSON: ${error instanceof Error ? error.message : String(error)}`,
      error,
    );
  }
  return parseFlow(document, options);
}
