// End to end: a server restart under an open page. The server runs with `--data-dir`
// in a temporary folder when the binary has that flag (history survives the restart,
// seqs continue); it is stopped, started again on the same port, and the page must
// reconnect, resume every event channel from its last seq and carry on with no
// duplicated and no missing closed candle: the bars it holds (read through
// `window.__spacetime.stats()`) keep strictly increasing times and consecutive seqs.
// Without `--data-dir` the server numbers its channels from scratch after a restart;
// the page then subscribes afresh, and the same checks hold for what it shows.
//
// Environment: see e2e/support.ts. Needs `npm run build` first.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway, barProblems, checkPrerequisites, launchBrowser, pageStats, saveScreenshot, serverHasFlag, watchConsole, type PageStats } from './support';

const gateway = new Gateway();
let browser: Browser | null = null;
let page: Page | null = null;
let port = 0;
let dataDir = '';
let persistent = false;
let consoleErrors: string[] = [];

function currentPage(): Page {
  if (page === null) {
    throw new Error('no page');
  }
  return page;
}

const serverArgs = (): string[] => (persistent ? ['--data-dir', dataDir] : []);

function closedSeqs(stats: PageStats): number[] {
  // The last bar may be in progress: only the ones before it are closed.
  return (stats.charts[0]?.bars ?? []).slice(0, -1).map(([, seq]) => seq);
}

describe('a server restart under an open page', () => {
  beforeAll(async () => {
    checkPrerequisites();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'spacetime-e2e-'));
    persistent = serverHasFlag('--data-dir');
    console.log(`restart test: ${persistent ? `--data-dir ${dataDir}` : 'no --data-dir on this binary: seqs restart with the server'}`);
    port = await gateway.start(0, serverArgs());
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    consoleErrors = watchConsole(page);
  });

  afterAll(async () => {
    try {
      await browser?.close();
    } finally {
      browser = null;
      await gateway.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('continues with no duplicated or missing candles after the server comes back', async () => {
    const p = currentPage();
    await p.goto(`http://127.0.0.1:${port}/`);
    await expect.poll(async () => closedSeqs(await pageStats(p)).length, { timeout: 30_000, interval: 250 }).toBeGreaterThanOrEqual(5);
    const before = await pageStats(p);
    const lastBefore = closedSeqs(before).at(-1) ?? 0;
    expect(barProblems(before.charts[0]?.bars ?? [])).toEqual([]);

    await gateway.stop();
    await expect.poll(() => p.locator('#status').getAttribute('data-status'), { timeout: 10_000 }).toBe('reconnecting');
    // Down for a moment, then back on the same port with the same data folder.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await gateway.start(port, serverArgs());

    await expect.poll(() => p.locator('#status').getAttribute('data-status'), { timeout: 30_000, interval: 250 }).toBe('connected');
    await expect.poll(async () => (await pageStats(p)).connections, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    // Several candles close on the new server.
    const target = persistent ? lastBefore + 5 : 5;
    await expect
      .poll(async () => {
        const seqs = closedSeqs(await pageStats(p));
        return persistent ? (seqs.at(-1) ?? 0) : seqs.length;
      }, { timeout: 30_000, interval: 250 })
      .toBeGreaterThanOrEqual(target);

    const after = await pageStats(p);
    console.log(`after restart: ${JSON.stringify({ ...after, charts: after.charts.map((c) => ({ ...c, bars: c.bars.length })) })}`);
    expect(after.malformed).toBe(0);
    expect(after.invalidEvents).toBe(0);
    expect(barProblems(after.charts[0]?.bars ?? [])).toEqual([]);
    if (persistent) {
      // The numbering went on: the page resumed, never started over, and the bars
      // from before the restart are still there, joined to the new ones.
      expect(after.sync.resumes).toBeGreaterThanOrEqual(1);
      expect(after.sync.restarts).toBe(0);
      expect(closedSeqs(after)).toContain(lastBefore);
    }
    await saveScreenshot(p, 'restart.png');
  });

  it('logged no console errors', () => {
    // The browser logs the refused connections while the server is down; nothing else.
    expect(consoleErrors.filter((e) => !/WebSocket connection|ERR_CONNECTION_REFUSED|Failed to load resource/.test(e))).toEqual([]);
  });
});
