import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamPart } from './support/pcap';
import { callIvr } from './support/phones';
import { startTestTeller, type TestTeller } from './support/teller';
import { buildWebIfStale, chooseState, launchChromium, openApp, signIn } from './support/web';

/**
 * The agent desktop's whole voice contact, end to end: a customer (SIPp on a carrier trunk,
 * 127.0.0.2) calls the phone-banking line, known by her number, and presses 0 for an agent;
 * the agent later sends her to the IVR for her PIN and gets her back verified. agent03 works in Chromium with the desktop's WebRTC softphone; the supervisor watches
 * the wallboard in another browser. What the pages show is checked against what the server
 * holds: the ACD's states, the media engine's and WebRTC gateway's counters, the ledger.
 */

const zhang = { phone: '13800000001', pin: '123456' };
const slow = { timeout: 90_000 };

let teller: TestTeller;
let browser: Browser;
let superToken: string;
const contexts: BrowserContext[] = [];

async function api<T>(method: string, url: string, body?: unknown): Promise<T> {
  const response = await teller.call(method, url, {
    token: superToken,
    ...(body !== undefined ? { body } : {}),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${url}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

async function open(username: string): Promise<Page> {
  const { context, page } = await openApp(browser, teller.httpUrl);
  contexts.push(context);
  await signIn(page, username);
  return page;
}

interface QueueRow {
  config: { id: string };
  statistics: { waiting: number; answered: number; handled?: number };
}

beforeAll(async () => {
  await buildWebIfStale();
  teller = await startTestTeller({ env: { TELLER_SIP_TRUSTED_ADDRESSES: '127.0.0.2' } });
  superToken = await teller.login('super01');
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await teller?.close();
}, 60_000);

describe('the agent desktop takes a call from the IVR', () => {
  it('rings with the customer popped, answers over WebRTC with audio both ways, transfers on her behalf, wraps up; the wallboard saw her wait and then handled', async () => {
    const supervisor = await open('super01');
    const general = supervisor.locator('.queue-board tr[data-queue="general"]');
    await general.waitFor();

    const agent = await open('agent03');
    await agent.locator('[data-testid="phone-status"][data-status="registered"]').waitFor();
    await chooseState(agent, 'Not ready · Break');
    await agent.locator('.desk-bar [data-state="not-ready"]').waitFor();

    const { customers } = await api<{ customers: { id: string }[] }>(
      'GET',
      `/api/v1/customers?phone=${zhang.phone}`,
    );
    const customerId = customers[0]!.id;

    // The customer, known by her number but without her PIN, asks for an agent. Nobody is
    // ready: she waits in the general queue, and the wallboard says so. Later she talks to the
    // agent (5 s of 440 Hz), and keys her PIN when the agent sends her to the IVR for it.
    const voice: StreamPart[] = [{ kind: 'tone', frequency: 440, durationMs: 5_000, amplitude: 6000 }];
    const pin: StreamPart[] = [{ kind: 'keys', digits: zhang.pin, keyMs: 160, gapMs: 240 }];
    const call = await callIvr(teller, {
      caller: zhang.phone,
      address: '127.0.0.2',
      steps: [{ step: 'main-menu', when: 'prompt', keys: '0' }],
      later: [voice, pin],
    });
    const callId = call.record.id;
    await expect
      .poll(async () => {
        const { queues } = await api<{ queues: QueueRow[] }>('GET', '/api/v1/acd/queues');
        return queues.find((q) => q.config.id === 'general')?.statistics.waiting;
      }, slow)
      .toBe(1);
    await expect.poll(() => general.getAttribute('data-waiting'), slow).toBe('1');

    // Ready: the offer rings on the desktop with the customer popped from the interaction.
    await chooseState(agent, 'Ready');
    const offer = agent.locator('.offer-card');
    await offer.waitFor();
    await expect.poll(() => agent.getByTestId('customer-name').textContent(), slow).toContain('Zhang Wei');
    await expect
      .poll(() => agent.getByTestId('customer-tier').textContent(), slow)
      .toMatch(/Affluent|Private|Mass/);
    await agent.locator('[data-testid="call-line"]').waitFor();
    await offer.getByRole('button', { name: 'Accept' }).click();
    await agent.locator('.desk-bar [data-state="busy"]').waitFor();
    await agent.locator('[data-testid="call-line"][data-state="established"]').waitFor();

    // RTP both ways, from the server's counters: the caller's leg and the browser's leg.
    await call.next();
    const talking = Date.now();
    let seen = '';
    await expect
      .poll(async () => {
        const legs = (await teller.calls.legMedia()).filter((l) => l.callId === callId);
        seen = JSON.stringify(
          legs.map((l) => [l.party, l.endpoint.packetsIn, l.endpoint.packetsOut, l.webrtc]),
        );
        const customer = legs.find((l) => l.party === zhang.phone);
        const browserLeg = legs.find((l) => l.party === '1003' && l.webrtc);
        return (
          !!customer &&
          !!browserLeg?.webrtc &&
          customer.endpoint.packetsIn > 50 &&
          customer.endpoint.packetsOut > 50 &&
          browserLeg.webrtc.browser.packetsIn > 50 &&
          browserLeg.webrtc.browser.packetsOut > 50
        );
      }, slow)
      .toBe(true)
      .catch((error: unknown) => {
        throw new Error(`${String(error)}; legs ${seen}`);
      });

    // TELLER_SCREENSHOTS=docs/screenshots keeps pictures of this moment (docs/screenshots/README.md).
    const shots = process.env.TELLER_SCREENSHOTS;
    if (shots) {
      await agent.mouse.move(0, 0);
      await agent.screenshot({ path: path.join(shots, 'agent-desktop-call.png'), fullPage: true });
      await supervisor.screenshot({ path: path.join(shots, 'wallboard-call.png'), fullPage: true });
    }

    // Known by her number only, so the transfer needs her PIN: the agent sends her to the IVR,
    // she keys it there (the agent hears music), comes back, and the desktop shows her verified.
    await agent.getByRole('tab', { name: 'Banking' }).click();
    const sendToIvr = agent.getByRole('button', { name: 'Send caller to the IVR to enter the PIN' });
    const verifyCard = agent.locator('.ant-card').filter({ has: sendToIvr }).last();
    await expect.poll(() => verifyCard.textContent(), slow).toContain('Calling number');
    await sendToIvr.click();
    await expect
      .poll(() => agent.getByTestId('ivr-verification').getAttribute('data-state'), slow)
      .toBe('in-progress');
    await expect
      .poll(() => {
        const line = teller.ivr.call(callId);
        return line?.state === 'ivr' ? line.session?.path.at(-1) : line?.state;
      }, slow)
      .toBe('authenticate/pin');
    // Her voice capture is over before her keys start (SIPp plays one capture at a time).
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, talking + 6_000 - Date.now())));
    await call.next();
    await expect
      .poll(() => agent.getByTestId('ivr-verification').getAttribute('data-state'), slow)
      .toBe('verified');
    await expect.poll(() => verifyCard.textContent(), slow).toContain('Telephone PIN');

    // On her behalf, verified by the PIN she keyed in the IVR: 100.00 between her own accounts.
    type Account = {
      id: string;
      number: string;
      kind: string;
      currency: string;
      available: { amount: string };
    };
    const before = (await api<{ accounts: Account[] }>('GET', `/api/v1/customers/${customerId}/accounts`))
      .accounts;
    const form = agent.locator('.ant-card', { hasText: 'Transfer between own accounts' }).last();
    const from = before.find((a) => a.kind === 'current' && a.currency === 'CNY')!;
    const to = before.find((a) => a.kind === 'savings' && a.currency === 'CNY')!;
    /**
     * Picks an account in a select until the form item shows it: the list opens animated, so an
     * option may not take a click yet, or the list may not be open yet; each try does what is due.
     */
    const pick = async (label: string, number: string) => {
      const item = form.locator('.ant-form-item').filter({ hasText: label }).first();
      const option = agent.locator(
        `.ant-select-dropdown:visible .ant-select-item-option[title*="${number}"]`,
      );
      await expect
        .poll(async () => {
          if (((await item.textContent()) ?? '').includes(number)) return true;
          if (await option.isVisible())
            await option.click({ force: true, timeout: 2_000 }).catch(() => undefined);
          else if ((await agent.locator('.ant-select-dropdown:visible').count()) === 0)
            await form
              .getByLabel(label)
              .click({ timeout: 2_000 })
              .catch(() => undefined);
          return false;
        }, slow)
        .toBe(true);
      await expect.poll(() => agent.locator('.ant-select-dropdown:visible').count(), slow).toBe(0);
    };
    // The first list closes before the second opens, so only one option matches.
    await pick('From account', from.number);
    await pick('To account', to.number);
    await form.getByLabel('Amount').fill('100.00');
    await form.getByRole('button', { name: 'Review' }).click();
    await form.getByRole('button', { name: 'Confirm transfer' }).click();
    await expect
      .poll(async () => {
        const text = (await form.textContent()) ?? '';
        return /Transferred|failed|error/i.test(text) ? text : '';
      }, slow)
      .toContain('Transferred');
    const after = (await api<{ accounts: Account[] }>('GET', `/api/v1/customers/${customerId}/accounts`))
      .accounts;
    const cents = (a: Account | undefined) => Math.round(Number(a?.available.amount) * 100);
    expect(cents(after.find((a) => a.id === from.id))).toBe(cents(from) - 10_000);
    expect(cents(after.find((a) => a.id === to.id))).toBe(cents(to) + 10_000);

    // The supervisor listens in from the console: her browser phone (1100) is rung into the call
    // and picks up by itself; the server's counters show the mix reaching her browser and her
    // browser's audio reaching Teller. Then she whispers, and leaves.
    await supervisor.locator('[data-testid="phone-status"][data-status="registered"]').waitFor();
    await supervisor.getByRole('button', { name: `Monitor the call from ${zhang.phone}` }).click();
    await supervisor.getByTestId('supervising').waitFor(slow);
    await expect
      .poll(async () => {
        const legs = await teller.calls.legMedia();
        const leg = legs.find((l) => l.callId === callId && l.party === '1100' && l.webrtc);
        return (
          leg?.joined === 'listen' &&
          leg.webrtc!.browser.packetsIn > 50 &&
          leg.webrtc!.browser.packetsOut > 50
        );
      }, slow)
      .toBe(true);
    await supervisor.getByRole('button', { name: `Whisper the call from ${zhang.phone}` }).click();
    await expect
      .poll(
        async () =>
          (await teller.calls.legMedia()).find((l) => l.callId === callId && l.party === '1100')?.joined,
        slow,
      )
      .toBe('whisper');
    await supervisor.getByRole('button', { name: 'Leave the call' }).click();
    await expect
      .poll(
        async () => (await teller.calls.legMedia()).some((l) => l.callId === callId && l.party === '1100'),
        slow,
      )
      .toBe(false);

    // The agent hangs up: the caller gets BYE, the agent wraps up with a code.
    await agent.getByRole('button', { name: 'Hang up' }).click();
    await agent.locator('.desk-bar [data-state="wrap-up"]').waitFor();
    const caller = await call.result;
    expect(caller.status, caller.output).toBe(0);
    await agent.getByLabel('Wrap-up code').click();
    await agent.locator('.ant-select-dropdown:visible .ant-select-item-option[title="Resolved"]').click();
    await agent.getByLabel('Summary').fill('Moved 100.00 to savings for the customer');
    await agent.getByRole('button', { name: 'Finish wrap-up' }).click();
    await agent.locator('.desk-bar [data-state="ready"]').waitFor();

    // The wallboard: nobody waiting any more, one handled.
    await expect.poll(() => general.getAttribute('data-waiting'), slow).toBe('0');
    await expect.poll(() => general.getAttribute('data-answered'), slow).toBe('1');
  }, 600_000);
});
