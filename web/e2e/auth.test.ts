// End to end login: a real OpenID Connect provider (tests/oidc/provider.mjs, the one
// scripts/services starts as `oidc`), the real server with `--issuer` pointing at it, and
// headless Chromium. The page is sent to the provider's /authorize (code flow + PKCE
// S256; the test provider sends the browser straight back with a code), comes back
// logged in, streams candles, refreshes its short-lived token on the SAME WebSocket (a
// second `auth` op, answered ok), reconnects after a close 4001 (the next refreshed
// token names another user: `subject changed`) with a new token and resumes by seq, and
// Log out closes the socket and lands on the
// logged-out page through the provider's end-session endpoint. A second user without
// the admin role may read the replay status but not steer the replay: against a server
// replaying a file the replay bar shows its running clock with the controls disabled,
// against a live server there is no bar (not_replay), as for an admin. Any console
// error — a CSP violation included — fails the test.
//
// The provider: SPACETIME_TEST_OIDC_URL (set by `scripts/services run oidc -- …`, as
// `make test` does), else this file starts tests/oidc/provider.mjs itself and stops it
// after. Environment otherwise: see e2e/support.ts.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page, WebSocket as PageSocket } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway, barProblems, checkPrerequisites, launchBrowser, pageStats, saveScreenshot, serverBin, useMock, webDir } from './support';

/** The provider's token lifetime for the browser: the page must refresh within the test. */
const kTokenSeconds = 20;

const gateway = new Gateway();
let browser: Browser | null = null;
let provider: ChildProcess | null = null;
let providerLog = '';
let issuer = '';
let baseUrl = '';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined && value !== false) {
      return value;
    }
    if (Date.now() > end) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function startProvider(): Promise<string> {
  const fromServices = process.env['SPACETIME_TEST_OIDC_URL'];
  if (fromServices !== undefined && fromServices !== '') {
    return fromServices;
  }
  const script = path.resolve(webDir, '../tests/oidc/provider.mjs');
  if (!existsSync(path.resolve(webDir, '../tests/oidc/node_modules/oauth2-mock-server'))) {
    throw new Error('tests/oidc/node_modules missing: run scripts/setup (npm ci in tests/oidc)');
  }
  const port = await freePort();
  const child = spawn(process.execPath, [script, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  provider = child;
  child.stdout?.on('data', (chunk: Buffer) => (providerLog += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (providerLog += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor('the OIDC provider', async () => {
    if (child.exitCode !== null) {
      throw new Error(`OIDC provider exited: ${providerLog}`);
    }
    try {
      return (await fetch(`${url}/.well-known/openid-configuration`)).ok;
    } catch {
      return false;
    }
  });
  return url;
}

/** Who logs in next at the provider, and for how long their tokens hold. */
async function browserUser(sub: string, roles: readonly string[]): Promise<void> {
  const response = await fetch(`${issuer}/test/browser?sub=${sub}&roles=${roles.join(',')}&expires_in=${kTokenSeconds}`, { method: 'POST' });
  expect(response.ok).toBe(true);
}

interface SocketLog {
  readonly url: string;
  readonly sent: { op?: string; id?: number; token?: string; action?: string }[];
  readonly received: { type?: string; id?: number; op?: string; roles?: string[]; code?: string }[];
  closed: boolean;
}

/** A page that records its WebSockets' frames, its requests, console errors and CSP violations. */
async function openPage(context: BrowserContext): Promise<{ page: Page; sockets: SocketLog[]; requests: { url: string; auth: string | undefined }[]; errors: string[] }> {
  const page = await context.newPage();
  const sockets: SocketLog[] = [];
  const requests: { url: string; auth: string | undefined }[] = [];
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') {
      errors.push(message.text());
    }
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  page.on('request', (request) => requests.push({ url: request.url(), auth: request.headers()['authorization'] }));
  page.on('websocket', (ws: PageSocket) => {
    const log: SocketLog = { url: ws.url(), sent: [], received: [], closed: false };
    sockets.push(log);
    ws.on('framesent', (frame) => log.sent.push(JSON.parse(String(frame.payload)) as SocketLog['sent'][number]));
    ws.on('framereceived', (frame) => {
      const data = JSON.parse(String(frame.payload)) as SocketLog['received'][number];
      if (data.type !== 'batch') {
        log.received.push(data);
      }
    });
    ws.on('close', () => (log.closed = true));
  });
  // CSP violations reach the console too; this catches every one, also those of workers.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  return { page, sockets, requests, errors };
}

async function lastBar(page: Page): Promise<readonly [number, number] | null> {
  // The page installs its test hook only once it knows whether auth is on (after
  // /api/auth/config): before that there is no bar yet, not an error.
  if (!(await page.evaluate(() => '__spacetime' in window))) {
    return null;
  }
  const bars = (await pageStats(page)).charts[0]?.bars ?? [];
  return bars.length === 0 ? null : (bars[bars.length - 1] ?? null);
}

describe.skipIf(useMock)('auth off', () => {
  const plain = new Gateway();
  afterAll(() => plain.stop());

  it('the page neither loads keycloak-js nor calls a provider, and shows no account', { timeout: 60_000 }, async () => {
    checkPrerequisites();
    const port = await plain.start(0);
    const url = `http://127.0.0.1:${port}`;
    const offBrowser = await launchBrowser();
    try {
      const { page, sockets, requests, errors } = await openPage(await offBrowser.newContext());
      await page.goto(url);
      await waitFor('a first bar', () => lastBar(page));
      expect(requests.some((r) => r.url.includes('keycloak'))).toBe(false);
      expect(requests.every((r) => r.url.startsWith(url))).toBe(true);
      expect(requests.some((r) => r.auth !== undefined)).toBe(false);
      expect(await page.locator('#account').isHidden()).toBe(true);
      expect(await page.locator('#auth-gate').isHidden()).toBe(true);
      expect(sockets[0]?.sent.some((m) => m.op === 'subscribe')).toBe(true);
      expect(sockets[0]?.sent.some((m) => m.op === 'auth')).toBe(false);
      expect(errors).toEqual([]);
    } finally {
      await offBrowser.close();
    }
  });
});

describe.skipIf(useMock)('login with the OIDC provider', () => {
  beforeAll(async () => {
    checkPrerequisites();
    issuer = await startProvider();
    await browserUser('trader', ['viewer', 'admin']);
    const port = await gateway.start(0, ['--issuer', issuer, '--client-id', 'spacetime', '--audience', 'spacetime']);
    baseUrl = `http://127.0.0.1:${port}`;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await gateway.stop();
    if (provider !== null && provider.exitCode === null) {
      const exited = new Promise((resolve) => provider?.once('exit', resolve));
      provider.kill('SIGTERM');
      await exited;
    }
  });

  it('logs in with PKCE, streams, refreshes the token on the open socket, logs out', { timeout: 150_000 }, async () => {
    if (browser === null) {
      throw new Error('no browser');
    }
    const config = (await (await fetch(`${baseUrl}/api/auth/config`)).json()) as { enabled: boolean; issuer: string };
    expect(config).toMatchObject({ enabled: true, issuer });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const { page, sockets, requests, errors } = await openPage(context);
    await page.goto(baseUrl);

    // Sent to the provider with the code flow and PKCE S256, back on the page with no code left in the URL.
    const authorize = await waitFor('the /authorize request', () => requests.find((r) => r.url.startsWith(`${issuer}/authorize`)));
    const params = new URL(authorize.url).searchParams;
    expect(params.get('response_type')).toBe('code');
    expect(params.get('client_id')).toBe('spacetime');
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('code_challenge')?.length).toBeGreaterThanOrEqual(43);
    await waitFor('the page to be back from the provider', () => page.url().startsWith(baseUrl) && !page.url().includes('code='));

    // Logged in: the user is shown, the chart streams.
    await page.locator('#account').waitFor({ state: 'visible' });
    expect(await page.locator('#user').textContent()).toBe('trader');
    expect(await page.locator('#user').getAttribute('title')).toContain('admin');
    const first = await waitFor('a first bar', () => lastBar(page));
    await waitFor('the chart to stream', async () => {
      const now = await lastBar(page);
      return now !== null && (now[1] > first[1] || now[0] > first[0]);
    });

    // The token went as the first message, never in the URL; the REST calls carried it.
    expect(sockets).toHaveLength(1);
    const socket = sockets[0] as SocketLog;
    expect(socket.url).toBe(`${baseUrl.replace('http', 'ws')}/ws`);
    expect(socket.sent[0]?.op).toBe('auth');
    expect(socket.sent[0]?.token?.split('.')).toHaveLength(3);
    const firstOk = socket.received.find((m) => m.type === 'ok' && m.op === 'auth');
    expect(firstOk?.roles).toEqual(['viewer', 'admin']);
    expect(socket.received.findIndex((m) => m.type === 'ok' && m.op === 'auth')).toBeLessThan(socket.received.findIndex((m) => m.type === 'hello'));
    const rest = requests.filter((r) => r.url.startsWith(`${baseUrl}/api/`) && !r.url.includes('/api/auth/config'));
    expect(rest.length).toBeGreaterThan(0);
    expect(rest.every((r) => r.auth?.startsWith('Bearer ey') === true)).toBe(true);

    // The refresh: a second auth op with a new token on the same socket, answered ok.
    const refresh = await waitFor(
      'the token refresh on the open socket',
      () => {
        const auths = socket.sent.filter((m) => m.op === 'auth');
        const second = auths[1];
        return second !== undefined && socket.received.some((m) => m.type === 'ok' && m.op === 'auth' && m.id === second.id) ? second : null;
      },
      (kTokenSeconds + 20) * 1000,
    );
    expect(refresh.token).not.toBe(socket.sent[0]?.token);
    expect(socket.closed).toBe(false);
    expect(sockets).toHaveLength(1);
    expect(requests.some((r) => r.url === `${issuer}/token`)).toBe(true);
    const stats = await page.evaluate(() => (window as unknown as { __spacetime?: { auth(): { session: { refreshes: number }; socket: { refused: number } } | null } }).__spacetime?.auth());
    expect(stats?.session.refreshes).toBeGreaterThanOrEqual(1);
    expect(stats?.socket.refused).toBe(0);
    // Still streaming after the refresh.
    const afterRefresh = await waitFor('a bar after the refresh', () => lastBar(page));
    await waitFor('the chart to stream after the refresh', async () => {
      const now = await lastBar(page);
      return now !== null && (now[1] > afterRefresh[1] || now[0] > afterRefresh[0]);
    });
    await saveScreenshot(page, 'auth-logged-in.png');

    // Close 4001: the next token is another user's, so the server closes the session
    // (`subject changed`); the page gets a fresh token, connects again, authenticates
    // first and resumes by seq — the chart has no hole and no duplicate.
    await browserUser('trader2', ['viewer', 'admin']);
    const second = await waitFor('a new connection after the 4001', () => sockets[1], (kTokenSeconds + 20) * 1000);
    expect(socket.closed).toBe(true);
    await waitFor('the new connection to authenticate and resume', () =>
      second.received.some((m) => m.type === 'ok' && m.op === 'auth') && second.sent.some((m) => m.op === 'resume') ? true : null,
    );
    expect(second.sent[0]?.op).toBe('auth');
    expect(second.sent.findIndex((m) => m.op === 'resume')).toBeGreaterThan(0);
    const afterResume = await waitFor('a bar after the resume', () => lastBar(page));
    await waitFor('the chart to stream after the resume', async () => {
      const now = await lastBar(page);
      return now !== null && (now[1] > afterResume[1] || now[0] > afterResume[0]);
    });
    const resumed = await pageStats(page);
    expect(barProblems(resumed.charts[0]?.bars ?? [])).toEqual([]);
    expect(resumed.sync.resumes).toBeGreaterThanOrEqual(1);
    const statsAfter = await page.evaluate(() => (window as unknown as { __spacetime?: { auth(): { socket: { refused: number } } | null } }).__spacetime?.auth());
    expect(statsAfter?.socket.refused).toBe(1);
    await waitFor('the new user shown', async () => (await page.locator('#user').textContent()) === 'trader2');

    // Log out: the socket closes, the provider's end-session sends the browser back to a logged-out page.
    await page.locator('#logout').click();
    await waitFor('the WebSocket to close', () => second.closed);
    await waitFor('the end-session request', () => requests.find((r) => r.url.startsWith(`${issuer}/endsession`)));
    await page.locator('#auth-gate').waitFor({ state: 'visible' });
    expect(await page.locator('#auth-gate-title').textContent()).toBe('Logged out');
    expect(page.url().startsWith(baseUrl)).toBe(true);
    expect(sockets).toHaveLength(2); // no new connection after logging out
    await saveScreenshot(page, 'auth-logged-out.png');
    // Log in again from there: through the provider and back, a new connection.
    await page.locator('#auth-gate-button').click();
    await page.locator('#account').waitFor({ state: 'visible' });
    await waitFor('a new authenticated connection', () =>
      sockets[2]?.received.some((m) => m.type === 'ok' && m.op === 'auth') === true ? true : null,
    );
    expect(await page.locator('#auth-gate').isHidden()).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a user without the admin role gets no replay bar from a live server (not_replay), and no error', { timeout: 90_000 }, async () => {
    if (browser === null) {
      throw new Error('no browser');
    }
    await browserUser('viewer1', ['viewer']);
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const { page, sockets, errors } = await openPage(context);
    await page.goto(baseUrl);
    await page.locator('#account').waitFor({ state: 'visible' });
    expect(await page.locator('#user').textContent()).toBe('viewer1');
    await waitFor('a first bar', () => lastBar(page));
    // The status probe is answered like an admin's: not_replay, not forbidden.
    const socket = sockets[0] as SocketLog;
    const probe = await waitFor('the replay status probe', () => socket.sent.find((m) => m.op === 'replay' && m.action === 'status'));
    const answer = await waitFor('the answer to the replay status probe', () => socket.received.find((m) => m.id === probe.id));
    expect(answer).toMatchObject({ type: 'error', code: 'not_replay' });
    expect(socket.received.some((m) => m.code === 'forbidden')).toBe(false);
    expect(await page.locator('#replay').isHidden()).toBe(true);
    expect(socket.sent.some((m) => m.op === 'replay' && m.action !== 'status')).toBe(false);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a user without the admin role sees a replaying server\'s clock run, with the controls disabled', { timeout: 120_000 }, async () => {
    if (browser === null) {
      throw new Error('no browser');
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'spacetime-auth-replay-'));
    const file = path.join(dir, 'day.stt');
    execFileSync(serverBin, ['record', '--out', file, '--seconds', '3000', '--symbols', '5', '--rate', '300', '--seed', '3', '--sim-start', '2026-12-01T14:30:00Z'], {
      stdio: 'ignore',
    });
    const replaying = new Gateway();
    try {
      const port = await replaying.start(0, ['--feed', 'file', '--file', file, '--speed', '10', '--issuer', issuer, '--client-id', 'spacetime', '--audience', 'spacetime']);
      await browserUser('viewer2', ['viewer']);
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const { page, sockets, errors } = await openPage(context);
      await page.goto(`http://127.0.0.1:${port}`);
      await page.locator('#account').waitFor({ state: 'visible' });
      expect(await page.locator('#user').textContent()).toBe('viewer2');
      // The status is open to a viewer: the bar shows the file's clock, and it runs.
      await page.locator('#replay').waitFor({ state: 'visible' });
      const clockMs = async (): Promise<number> => Number((await page.locator('#replay').getAttribute('data-clock-ms')) ?? 0);
      const first = await waitFor('the replay clock', async () => ((await clockMs()) > Date.UTC(2026, 11, 1, 14, 30) ? clockMs() : null));
      expect(first).toBeLessThan(Date.UTC(2026, 11, 1, 15, 30));
      expect(await page.locator('#replay-clock').textContent()).toMatch(/^2026-12-01 1[45]:\d\d:\d\d$/);
      expect(await page.locator('#replay').getAttribute('data-speed')).toBe('10');
      // Answered by the server, not only run on locally: a later status ok carries a later clock.
      const socket = sockets[0] as SocketLog;
      await waitFor('two replay status answers', () => socket.received.filter((m) => m.type === 'ok' && m.op === 'replay').length >= 2);
      await waitFor('the clock to run', async () => (await clockMs()) > first + 2_000);
      // The controls: there, disabled, saying why; the viewer sends no control op.
      expect(await page.locator('#replay-toggle').isDisabled()).toBe(true);
      expect(await page.locator('#replay-speed').isDisabled()).toBe(true);
      expect(await page.locator('#replay-toggle').getAttribute('title')).toContain('admin role');
      expect(socket.sent.some((m) => m.op === 'replay' && m.action !== 'status')).toBe(false);
      expect(socket.received.some((m) => m.code === 'forbidden')).toBe(false);
      await saveScreenshot(page, 'auth-viewer-replay.png');
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      await replaying.stop();
    }
  });
});
