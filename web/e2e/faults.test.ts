// End to end, with faults put between the page and the real server (Playwright routes
// the page's WebSocket and REST requests; the server itself is untouched):
//  - a closed candle taken out of a batch is a seq hole: while the REST history answers
//    empty (a store still catching up) the chart shows its hole badge and keeps asking;
//    once the history answers, the hole is filled, the badge and the header's "missing"
//    go away and no candle is missing;
//  - a scroll-back page that gets the documented 503 `busy` does not turn scroll-back
//    off: it is asked again and only a real "no more" answer completes it;
//  - layout changes do not pile up the disposed charts' DOM listeners;
//  - the answer to the replay bar's probe (`not_replay`) is not shown as a server error.
//
// Environment: see e2e/support.ts. Needs `npm run build` first (the server serves web/dist).

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway, barProblems, checkPrerequisites, launchBrowser, pageStats, useMock, watchConsole } from './support';

const gateway = new Gateway();
let browser: Browser | null = null;
let page: Page | null = null;
let baseUrl = '';
let consoleErrors: string[] = [];

/** Fault switches, read by the routes. */
const faults = {
  /** Take the closed candles of this channel out of the next batch that has one. */
  dropClosed: null as { symbol: string; stream: string } | null,
  dropped: [] as number[],
  /** Answer hole refetches (`after_seq`) with no rows. */
  emptyRefetch: false,
  emptied: 0,
  /** Answer scroll-back pages (`tail=1` candles) with 503 busy. */
  busyScrollBack: false,
  busied: 0,
  scrollBackPassed: 0,
};

function currentPage(): Page {
  if (page === null) {
    throw new Error('no page');
  }
  return page;
}

function attr(p: Page, selector: string, name: string): Promise<string> {
  return p.locator(selector).getAttribute(name).then((v) => v ?? '');
}

describe.skipIf(useMock)('faults between the page and the real server', () => {
  beforeAll(async () => {
    checkPrerequisites();
    const port = await gateway.start(0);
    baseUrl = `http://127.0.0.1:${port}/`;
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    consoleErrors = watchConsole(page);
    await page.routeWebSocket(/\/ws/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((message) => server.send(message));
      server.onMessage((message) => {
        const wanted = faults.dropClosed;
        if (wanted !== null && typeof message === 'string' && message.includes('"batch"')) {
          const parsed = JSON.parse(message) as { type: string; events?: { symbol?: string; stream?: string; closed?: boolean; seq?: number }[] };
          const hit = (e: { symbol?: string; stream?: string; closed?: boolean }): boolean =>
            e.symbol === wanted.symbol && e.stream === wanted.stream && e.closed === true;
          if (parsed.type === 'batch' && parsed.events?.some(hit) === true) {
            faults.dropped.push(...parsed.events.filter(hit).map((e) => e.seq ?? -1));
            faults.dropClosed = null;
            ws.send(JSON.stringify({ ...parsed, events: parsed.events.filter((e) => !hit(e)) }));
            return;
          }
        }
        ws.send(message);
      });
    });
    await page.route(/\/api\/candles\?/, async (route) => {
      const url = new URL(route.request().url());
      if (url.searchParams.has('after_seq') && faults.emptyRefetch) {
        faults.emptied += 1;
        await route.fulfill({ status: 200, contentType: 'application/json', body: '{"rows":[],"more":false,"next_cursor":null}' });
        return;
      }
      if (url.searchParams.get('tail') === '1') {
        if (faults.busyScrollBack) {
          faults.busied += 1;
          await route.fulfill({ status: 503, headers: { 'retry-after': '1' }, contentType: 'application/json', body: '{"error":"busy","message":"too many history requests"}' });
          return;
        }
        faults.scrollBackPassed += 1;
      }
      await route.continue();
    });
  });

  afterAll(async () => {
    try {
      await browser?.close();
    } finally {
      browser = null;
      await gateway.stop();
    }
  });

  it('shows a hole while the history cannot fill it and clears it once filled', async () => {
    const p = currentPage();
    await p.goto(baseUrl);
    await p.waitForFunction(() => Number(document.querySelector('#chart')?.getAttribute('data-bars') ?? 0) >= 3, null, { timeout: 30_000 });
    const symbol = await attr(p, '#chart', 'data-symbol');
    expect(await attr(p, '#chart', 'data-tf')).toBe('1s');
    faults.emptyRefetch = true;
    faults.dropClosed = { symbol, stream: 'candles:1s' };
    await expect.poll(() => faults.dropped.length, { timeout: 20_000, interval: 100 }).toBeGreaterThan(0);
    // The history answers empty: the hole stays open and shown, and is asked for again.
    await expect.poll(() => attr(p, '#chart', 'data-holes').then(Number), { timeout: 10_000, interval: 100 }).toBeGreaterThan(0);
    expect(await p.locator('#chart .hole-badge').isVisible()).toBe(true);
    expect(await p.locator('#chart .hole-badge').textContent()).toMatch(/^Filling \d+ candles missing/);
    expect(Number(await attr(p, '#chart', 'data-missing'))).toBeGreaterThan(0);
    await expect.poll(() => faults.emptied, { timeout: 10_000, interval: 100 }).toBeGreaterThanOrEqual(2);
    expect(Number(await attr(p, '#chart', 'data-holes'))).toBeGreaterThan(0);
    // The history catches up: the next retry fills the hole.
    faults.emptyRefetch = false;
    await expect.poll(() => attr(p, '#chart', 'data-holes').then(Number), { timeout: 20_000, interval: 100 }).toBe(0);
    expect(await p.locator('#chart .hole-badge').isHidden()).toBe(true);
    expect(Number(await attr(p, '#chart', 'data-missing'))).toBe(0);
    expect(await p.locator('#last-price').getAttribute('title')).not.toMatch(/missing/);
    const stats = await pageStats(p);
    const held = new Set((stats.charts[0]?.bars ?? []).map(([, seq]) => seq));
    expect(faults.dropped.every((seq) => held.has(seq))).toBe(true);
    expect(barProblems(stats.charts[0]?.bars ?? [])).toEqual([]);
    expect(stats.sync.refetchFailures).toBe(0);
    // The replay bar's probe got `not_replay` from this live server long ago: that answer
    // is the replay bar's, not an error for the status tooltip.
    expect((await p.locator('#status').getAttribute('title')) ?? '').not.toMatch(/replay/);
  });

  it('keeps scroll-back on after a 503 busy page and asks again', async () => {
    const p = currentPage();
    faults.busyScrollBack = true;
    const scrollToOldest = (): Promise<void> =>
      p.evaluate(() => (window as unknown as { __spacetime: { scrollToOldest(chart: number): void } }).__spacetime.scrollToOldest(0));
    // A fresh page: its first scroll-back page (asked for as soon as the few bars of a
    // young server are in view) is refused.
    await p.goto(baseUrl);
    await p.waitForFunction(() => Number(document.querySelector('#chart')?.getAttribute('data-bars') ?? 0) >= 3, null, { timeout: 30_000 });
    await scrollToOldest();
    // Retried with a backoff (1 s, 2 s, ...): two refusals, and scroll-back is still on.
    await expect.poll(() => faults.busied, { timeout: 15_000, interval: 100 }).toBeGreaterThanOrEqual(2);
    expect(await attr(p, '#chart', 'data-history-complete')).toBe('false');
    expect(Number(await attr(p, '#chart', 'data-older-failures'))).toBeGreaterThanOrEqual(1);
    faults.busyScrollBack = false;
    await scrollToOldest();
    // The next retry reaches the server: older bars, or its real "no more" answer.
    await expect.poll(() => faults.scrollBackPassed, { timeout: 40_000, interval: 200 }).toBeGreaterThan(0);
    await expect
      .poll(async () => Number(await attr(p, '#chart', 'data-older')) > 0 || (await attr(p, '#chart', 'data-history-complete')) === 'true', {
        timeout: 10_000,
        interval: 200,
      })
      .toBe(true);
    expect(Number(await attr(p, '#chart', 'data-older-failures'))).toBe(0);
    await p.evaluate(() => (window as unknown as { __spacetime: { scrollToLatest(chart: number): void } }).__spacetime.scrollToLatest(0));
  });

  it('removes a disposed chart’s listeners from its container on layout changes', async () => {
    const p = currentPage();
    const cdp = await p.context().newCDPSession(p);
    const listenerCount = async (): Promise<number> => {
      const { result } = await cdp.send('Runtime.evaluate', { expression: "document.querySelector('#chart-1')" });
      const { listeners } = await cdp.send('DOMDebugger.getEventListeners', { objectId: result.objectId ?? '' });
      return listeners.filter((l) => ['pointerenter', 'pointerleave', 'wheel'].includes(l.type)).length;
    };
    const layout = async (kind: string, charts: number): Promise<void> => {
      await p.locator(`#layouts button[data-layout="${kind}"]`).click();
      await expect.poll(() => p.locator('.cell .chart[data-ready="true"]').count(), { timeout: 20_000, interval: 100 }).toBeGreaterThanOrEqual(charts);
    };
    await layout('2', 2);
    const once = await listenerCount();
    expect(once).toBeGreaterThan(0);
    for (let round = 0; round < 3; round += 1) {
      await layout('1', 1);
      await layout('2', 2);
    }
    expect(await listenerCount()).toBe(once);
    await layout('1', 1);
  });

  it('logged no console errors', () => {
    // The refused scroll-back pages are logged by the browser as failed resources.
    expect(consoleErrors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
  });
});
