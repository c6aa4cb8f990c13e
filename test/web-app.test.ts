/**
 * The web app in Debian's Chromium (playwright-core) against a whole Teller on a random port:
 * the server serves the built SPA at `/` (src/api/web.ts), and the browser signs in as an agent,
 * a supervisor and an administrator. What the browser shows is checked against what the server
 * holds (the ACD's agent state, the SIP registrar's bindings, the CRM timeline), so the UI cannot
 * pass by showing what it merely assumed. web/ is built first when web/dist is missing or older
 * than its sources.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTeller, type TestTeller } from './support/teller';
import { buildWebIfStale, chooseState, launchChromium, openApp, signIn } from './support/web';

const slow = { timeout: 90_000 };

/** The little of the page's DOM the callbacks passed to the browser use (no lib.dom here). */
interface PageDocument {
  activeElement: { id: string } | null;
  documentElement: { lang: string };
}

interface AgentStats {
  agentId: string;
  state: { kind: string; reason?: string };
}

describe('web app', () => {
  let teller: TestTeller;
  let browser: Browser;
  let supervisorToken: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    await buildWebIfStale();
    teller = await startTestTeller();
    supervisorToken = await teller.login('super01');
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await teller?.close();
  }, 60_000);

  async function open(lang: 'en' | 'zh-CN' = 'en'): Promise<Page> {
    const { context, page } = await openApp(browser, teller.httpUrl, lang);
    contexts.push(context);
    return page;
  }

  async function userId(username: string): Promise<string> {
    const admin = await teller.login('admin');
    const response = await teller.call('GET', '/api/v1/users', { token: admin });
    const { users } = (await response.json()) as { users: { id: string; username: string }[] };
    const user = users.find((u) => u.username === username);
    if (!user) throw new Error(`no user ${username}`);
    return user.id;
  }

  async function serverState(agentId: string): Promise<AgentStats['state']> {
    const response = await teller.call('GET', '/api/v1/acd/agents', { token: supervisorToken });
    const { agents } = (await response.json()) as { agents: AgentStats[] };
    const agent = agents.find((a) => a.agentId === agentId);
    if (!agent) throw new Error(`agent ${agentId} not in the ACD`);
    return agent.state;
  }

  it('serves the SPA at / and page paths, never under /api', async () => {
    const root = await fetch(`${teller.httpUrl}/agent`, { headers: { accept: 'text/html' } });
    expect(root.status).toBe(200);
    expect(await root.text()).toContain('<div id="root">');
    const api = await fetch(`${teller.httpUrl}/api/v1/no-such-route`, { headers: { accept: 'text/html' } });
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toContain('application/problem+json');
  });

  it('agent01 signs in, the softphone registers as 1001 and the agent goes ready', async () => {
    const page = await open();
    await signIn(page, 'agent01');
    await expect
      .poll(() => page.getByTestId('phone-status').getAttribute('data-status'), slow)
      .toBe('registered');
    expect(teller.sip.location.registered()).toContain('sip:1001@teller');

    await chooseState(page, 'Ready');
    await page.locator('.desk-bar [data-state="ready"]').waitFor();
    const id = await userId('agent01');
    expect((await serverState(id)).kind).toBe('ready');
  }, 300_000);

  it('super01 sees the wallboard with the queues and agent01 ready', async () => {
    const page = await open();
    await signIn(page, 'super01');
    const board = page.locator('.queue-board');
    await board.getByText('General banking').waitFor();
    await board.getByText('Cards and fraud').waitFor();
    // Names come from the user events the console replays; the state from the ACD.
    const row = page.locator('.agent-board tr', { has: page.locator('[data-agent="agent01"]') });
    await row.locator('[data-state="ready"]').waitFor();
    await expect.poll(() => row.textContent(), slow).toContain('Wang Fang');
  }, 300_000);

  it('an offer rings on the desktop; accept, end the contact, wrap up with a code on the customer’s timeline', async () => {
    const page = await open();
    await signIn(page, 'agent02');
    await chooseState(page, 'Ready');
    await page.locator('.desk-bar [data-state="ready"]').waitFor();

    const search = await teller.call('GET', '/api/v1/customers?phone=13800000001', {
      token: supervisorToken,
    });
    const customer = ((await search.json()) as { customers: { id: string }[] }).customers[0]!;
    const interactionId = `web-test-${Date.now()}`;
    const enqueued = await teller.call('POST', '/api/v1/acd/interactions', {
      token: supervisorToken,
      body: { interactionId, queueId: 'general', customerId: customer.id, tier: 'affluent' },
    });
    expect(enqueued.status).toBe(200);
    expect(((await enqueued.json()) as { outcome: string }).outcome).toBe('offered');

    const offer = page.locator('.offer-card');
    await offer.waitFor();
    await expect.poll(() => offer.textContent(), slow).toContain('General banking');
    await offer.getByRole('button', { name: 'Accept' }).click();
    await page.locator('.desk-bar [data-state="busy"]').waitFor();
    expect((await serverState(await userId('agent02'))).kind).toBe('busy');

    // The offer names the customer: the desktop pops her without the interaction record.
    await expect.poll(() => page.getByTestId('customer-name').textContent(), slow).toContain('Zhang Wei');
    await expect.poll(() => page.getByTestId('customer-tier').textContent(), slow).toContain('Affluent');

    // Banking on the customer's behalf is closed below PIN verification, and says why.
    await page.getByRole('tab', { name: 'Banking' }).click();
    await expect
      .poll(() => page.locator('.verification-needed').textContent(), slow)
      .toContain('verified by telephone PIN');
    await page.getByLabel('Calling number').fill('13800000001');
    await page.getByRole('button', { name: 'Verify by calling number' }).click();
    await expect
      .poll(() => page.locator('.verification-needed').textContent(), slow)
      .toContain('Calling number');

    await page.getByRole('button', { name: 'End contact' }).click();
    await page.locator('.desk-bar [data-state="wrap-up"]').waitFor();
    await expect.poll(() => page.getByRole('timer').textContent(), slow).toContain('left');
    await page.getByLabel('Wrap-up code').click();
    await page.locator('.ant-select-item-option[title="Resolved"]').click();
    await page.getByLabel('Summary').fill('Checked the balance with the customer');
    await page.getByRole('button', { name: 'Finish wrap-up' }).click();
    await page.locator('.desk-bar [data-state="ready"]').waitFor();

    const timeline = await teller.call('GET', `/api/v1/customers/${customer.id}/timeline?limit=5`, {
      token: supervisorToken,
    });
    const { items } = (await timeline.json()) as {
      items: { interactionId: string | null; outcome: string }[];
    };
    expect(items.find((i) => i.interactionId === interactionId)?.outcome).toBe('resolved');
    await expect.poll(() => page.locator('.my-stats').textContent(), slow).toContain('Handled');
  }, 360_000);

  it('the browser phone calls the line test over WebRTC, holds and resumes, hangs up; the supervisor sees the call live and asks to monitor it', async () => {
    const supervisor = await open();
    await signIn(supervisor, 'super01');
    await supervisor.locator('.queue-board').waitFor();

    const page = await open();
    await signIn(page, 'agent05');
    await page.locator('[data-testid="phone-status"][data-status="registered"]').waitFor();
    await page.getByLabel('Number to call').fill('8889');
    await page.getByRole('button', { name: 'Call', exact: true }).click();
    await page.locator('[data-testid="call-line"][data-state="established"]').waitFor();

    // Hold and resume are re-INVITEs the server must accept before the line says so.
    await page.getByRole('button', { name: 'Hold' }).click();
    await expect.poll(() => page.getByTestId('call-line').textContent(), slow).toContain('on hold');
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => page.getByTestId('call-line').textContent(), slow).not.toContain('on hold');

    // The wallboard learns of the call from the call.* events; monitor asks the server for it.
    const liveCalls = supervisor.locator('.ant-card', { hasText: 'Live calls' });
    const row = liveCalls.locator('tr', { hasText: '8889' });
    await row.waitFor();
    const request = supervisor.waitForRequest((r) => r.url().endsWith('/supervise'));
    await row.getByRole('button', { name: /^Monitor/ }).click();
    const sent = await request;
    expect(JSON.parse(sent.postData() ?? '{}')).toEqual({ mode: 'monitor' });
    const answer = await sent.response();
    const callId = decodeURIComponent(new URL(sent.url()).pathname.split('/')[4] ?? '');
    // Whatever the server answers is what the console shows: a refusal as its problem, else a status.
    if (answer && answer.status() >= 400) {
      const problem = (await answer.json()) as { code: string };
      await expect.poll(() => liveCalls.getByRole('alert').textContent(), slow).toContain(problem.code);
    } else {
      await expect.poll(() => liveCalls.getByRole('status').textContent(), slow).toContain('Monitor');
    }

    await page.getByRole('button', { name: 'Hang up' }).click();
    await page.getByTestId('call-line').waitFor({ state: 'detached' });
    await row.waitFor({ state: 'detached' });
    const record = await teller.store.db
      .selectFrom('call_records')
      .selectAll()
      .where('id', '=', callId)
      .executeTakeFirstOrThrow();
    expect(record).toMatchObject({
      caller: '1005',
      callee: '8889',
      disposition: 'answered',
      ended_by: 'caller',
    });
    expect(record.answered_at).not.toBeNull();
  }, 360_000);

  it('a supervisor forces an agent not ready from the wallboard', async () => {
    const agent = await teller.login('agent06');
    await teller.call('POST', '/api/v1/acd/me/login', { token: agent });
    await teller.call('POST', '/api/v1/acd/me/ready', { token: agent });
    const page = await open();
    await signIn(page, 'super01');
    const row = page.locator('.agent-board tr', { has: page.locator('[data-agent="agent06"]') });
    await row.locator('[data-state="ready"]').waitFor();
    await row.getByRole('combobox').click();
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option[title="Not ready"]').click();
    await row.locator('[data-state="not-ready"]').waitFor();
    expect(await serverState(await userId('agent06'))).toEqual({ kind: 'not-ready', reason: 'supervisor' });
  }, 300_000);

  it('admin sees the users, changes a queue in the ACD, and sees the IVR flows refuse a broken document', async () => {
    const page = await open();
    await signIn(page, 'admin');
    const table = page.locator('.users-table');
    await table.getByText('agent01', { exact: true }).waitFor();
    await table.getByText('super01', { exact: true }).waitFor();

    await page.getByRole('tab', { name: 'Queues' }).click();
    await page.locator('tr', { hasText: 'Web chat' }).getByRole('button', { name: 'Edit' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Wrap-up (s)').fill('15');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    const queues = await teller.call('GET', '/api/v1/acd/queues', { token: supervisorToken });
    const chat = (
      (await queues.json()) as { queues: { config: { id: string; wrapUpMs: number } }[] }
    ).queues.find((q) => q.config.id === 'chat');
    expect(chat?.config.wrapUpMs).toBe(15_000);

    await page.getByRole('tab', { name: 'IVR flows' }).click();
    await page.locator('tr[data-row-key="phone-banking"]').waitFor();
    await page
      .getByLabel('Flow document (JSON)')
      .fill('{"id":"broken","name":"x","start":"nowhere","steps":{}}');
    await page.getByRole('button', { name: 'Validate' }).click();
    const refusal = page.getByRole('alert').filter({ hasText: 'The flow was refused' });
    await expect.poll(() => refusal.textContent(), slow).toContain('IVR_FLOW_INVALID');
  }, 300_000);

  it('switching to Chinese shows Chinese labels, and the choice survives a reload', async () => {
    const page = await open();
    await signIn(page, 'agent03');
    await page.getByText('中文', { exact: true }).click();
    await page.getByRole('menuitem', { name: '坐席工作台' }).waitFor();
    await page.getByLabel('坐席状态').waitFor();
    await page.getByText('我的今日').waitFor();
    await page.reload();
    await page.getByLabel('坐席状态').waitFor();
    expect(
      await page.evaluate(
        () => (globalThis as unknown as { document: PageDocument }).document.documentElement.lang,
      ),
    ).toBe('zh-CN');
  }, 300_000);

  it('the keyboard reaches the state control and sets not-ready with a reason', async () => {
    const page = await open();
    await signIn(page, 'agent04');
    await page.getByLabel('Agent state').waitFor();
    let reached = false;
    for (let presses = 0; presses < 40 && !reached; presses++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(
        () =>
          (globalThis as unknown as { document: PageDocument }).document.activeElement?.id === 'agent-state',
      );
    }
    expect(reached).toBe(true);
    // Typing filters the choices; Enter takes the first.
    await page.keyboard.type('break');
    await page.keyboard.press('Enter');
    await page.locator('.desk-bar [data-state="not-ready"]').waitFor();
    // The agent was already not ready (reason `login`) after signing in, so the bar alone does
    // not say the change went through: wait for the server to have it.
    const agent = await userId('agent04');
    await expect
      .poll(() => serverState(agent), { timeout: 10_000 })
      .toEqual({ kind: 'not-ready', reason: 'break' });
  }, 300_000);
});
