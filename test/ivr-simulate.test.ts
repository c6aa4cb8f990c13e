import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { harnessEpoch, simulateIvr } from '../src/ivr/index';

const flowPath = path.resolve(import.meta.dirname, '..', 'flows', 'phone-banking.json');

async function simulate(lines: string[], options: { lang?: 'zh' | 'en'; callerNumber?: string | null } = {}) {
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  const run = simulateIvr({ flowPath, input, output, start: harnessEpoch, ...options });
  for (const line of lines) input.write(`${line}\n`);
  input.end();
  const result = await run;
  return { result, text };
}

describe('teller ivr simulate', () => {
  it('walks the demo line in the terminal: prompts as text, keys typed', async () => {
    const { result, text } = await simulate(['1', '1', '123456', '9']);
    expect(text).toContain('♪ 普通话请按1。');
    expect(text).toContain('♪ 请输入六位电话银行密码。');
    expect(text).toContain('(recording paused while the secret is keyed)');
    expect(text).toMatch(/♪ 尾号三七零幺的人民币活期账户余额五万二千三百四十五元六角七分/);
    expect(text).toContain(
      'Call ended: self-service — identify → known-language → choose-language → set-zh → welcome',
    );
    expect(text).not.toContain('123456');
    expect(result.outcome).toBe('self-service');
  });

  it('starts in the language asked for, lets silence time out, and hangs up on h', async () => {
    const { result, text } = await simulate(['', 'h'], { lang: 'en', callerNumber: '13900000000' });
    expect(text).toContain('♪ 普通话请按1。 For English, press 2.');
    expect(text).toContain('(silence: 4 s)');
    expect(result.outcome).toBe('hang-up');
    expect(result.path.slice(0, 2)).toEqual(['identify', 'choose-language']);
  });

  it('hands over to an agent and says so', async () => {
    const { text, result } = await simulate(['2', '0']);
    expect(text).toContain('♪ Please hold while we connect you to an agent.');
    expect(text).toContain('→ handed to queue general (priority 4, intent agent-request)');
    expect(result.outcome).toBe('agent');
  });
});
