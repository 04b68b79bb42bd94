// End to end: a recorded tick file replayed into the live product
// (`serve --feed file --file day.stt --speed 10`). The page shows the replay bar with the
// replay clock; pause stops the clock (and the candles), resume moves it again, and the
// speed picker changes the server's pace — all through the `replay` operation of the
// WebSocket protocol. Screenshot: replay.png.
//
// The tick file is recorded first with `spacetime record` (100 simulated minutes of 5
// symbols). Played to its end at the top speed, it leaves history older than what a
// chart opens with (50 minutes of 10 s candles, an hour of signals): scrolling back then
// brings the reversals and spikes under the older candles too. The mock gateway has no replay: skipped with SPACETIME_E2E_SERVER=mock.
// Environment: see e2e/support.ts. Needs `npm run build` first.

import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway, barProblems, checkPrerequisites, launchBrowser, pageStats, saveScreenshot, serverBin, useMock, watchConsole } from './support';

const gateway = new Gateway();
let browser: Browser | null = null;
let baseUrl = '';

function clockMs(p: Page): Promise<number> {
  return p.locator('#replay').getAttribute('data-clock-ms').then((v) => Number(v ?? 0));
}

async function lastBarTime(p: Page): Promise<number> {
  const bars = (await pageStats(p)).charts[0]?.bars ?? [];
  return bars.at(-1)?.[0] ?? 0;
}

describe.skipIf(useMock)('replay of a recorded day in the browser', () => {
  beforeAll(async () => {
    checkPrerequisites();
    const dir = mkdtempSync(path.join(tmpdir(), 'spacetime-replay-'));
    const file = path.join(dir, 'day.stt');
    execFileSync(serverBin, ['record', '--out', file, '--seconds', '6000', '--symbols', '5', '--rate', '300', '--seed', '3', '--sim-start', '2026-12-01T14:30:00Z'], {
      stdio: 'ignore',
    });
    const port = await gateway.start(0, ['--feed', 'file', '--file', file, '--speed', '10']);
    baseUrl = `http://127.0.0.1:${port}/`;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    try {
      await browser?.close();
    } finally {
      browser = null;
      await gateway.stop();
    }
  });

  it('shows the replay clock and pauses, resumes and changes speed over the protocol', async () => {
    if (browser === null) {
      throw new Error('no browser');
    }
    const p = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors = watchConsole(p);
    await p.goto(baseUrl);
    await expect.poll(() => p.locator('#replay').isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await p.locator('#replay').getAttribute('data-speed')).toBe('10');
    // The clock is the file's time (2026-12-01 14:30 on), not the wall clock.
    await expect.poll(() => clockMs(p), { timeout: 15_000 }).toBeGreaterThan(Date.UTC(2026, 11, 1, 14, 30));
    expect(await clockMs(p)).toBeLessThan(Date.UTC(2026, 11, 1, 15, 0));
    await expect.poll(() => p.locator('#replay-clock').textContent()).toMatch(/^2026-12-01 14:3\d:\d\d$/);
    await p.waitForFunction(() => Number(document.querySelector('#chart')?.getAttribute('data-bars') ?? 0) > 3, null, { timeout: 30_000 });

    // Running: the clock moves at about ten times the wall clock.
    const running = await clockMs(p);
    await expect.poll(() => clockMs(p), { timeout: 5_000 }).toBeGreaterThan(running + 3_000);

    // Paused: the server says so, the clock and the candles stop.
    await p.locator('#replay-toggle').click();
    await expect.poll(() => p.locator('#replay').getAttribute('data-paused')).toBe('true');
    await p.waitForTimeout(500); // what was on its way has arrived
    const pausedClock = await clockMs(p);
    const pausedBar = await lastBarTime(p);
    await p.waitForTimeout(2_500); // longer than the bar's status poll
    expect(await clockMs(p)).toBe(pausedClock);
    expect(await lastBarTime(p)).toBe(pausedBar);
    await saveScreenshot(p, 'replay.png');

    // Resumed: it moves again, from where it stood.
    await p.locator('#replay-toggle').click();
    await expect.poll(() => p.locator('#replay').getAttribute('data-paused')).toBe('false');
    await expect.poll(() => clockMs(p), { timeout: 5_000 }).toBeGreaterThan(pausedClock + 2_000);
    await expect.poll(() => lastBarTime(p), { timeout: 10_000 }).toBeGreaterThan(pausedBar);

    // A new speed, confirmed by the server.
    await p.locator('#replay-speed').selectOption('50');
    await expect.poll(() => p.locator('#replay').getAttribute('data-speed')).toBe('50');
    expect(errors).toEqual([]);
    await p.close();
  });

  it('scrolls back into the signals under older candles once the file has played', async () => {
    if (browser === null) {
      throw new Error('no browser');
    }
    const p = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors = watchConsole(p);
    await p.goto(baseUrl);
    await expect.poll(() => p.locator('#replay').isVisible(), { timeout: 15_000 }).toBe(true);
    await p.locator('#replay-speed').selectOption('1000');
    await expect.poll(() => p.locator('#replay').getAttribute('data-finished'), { timeout: 30_000 }).toBe('true');
    // Spikes that started while the page watched were announced with a pulse (and only
    // those: the snapshot's spikes were not).
    const pulses = Number(await p.locator('#chart').getAttribute('data-spike-pulses'));
    expect(pulses).toBeGreaterThan(0);
    expect(pulses).toBeLessThanOrEqual(Number(await p.locator('#chart').getAttribute('data-spikes')));
    // The file has played; the recorder may still be writing what it queued (it holds the
    // engine back rather than drop). Wait until the stored 10 s candles stop growing: a
    // snapshot taken while the store lags more than the gateway's idle ring can hold has a
    // hole (a known server limit, noted on the storage issue).
    const lastStored = async (): Promise<number> => {
      const response = await fetch(`${baseUrl}api/candles?symbol=ALFA&tf=10s&tail=1&limit=1`);
      const body = (await response.json()) as { rows: { seq: number }[] };
      return body.rows.at(-1)?.seq ?? 0;
    };
    let stored = -1;
    await expect
      .poll(
        async () => {
          const now = await lastStored();
          const settled = now > 0 && now === stored;
          stored = now;
          return settled;
        },
        { timeout: 60_000, interval: 1_000 },
      )
      .toBe(true);
    // A fresh page: its 10 s chart opens with the file's last 50 minutes, and the
    // signals of the last hour.
    await p.goto(`${baseUrl}?layout=1&charts=ALFA:10s`);
    await p.waitForFunction(() => Number(document.querySelector('#chart')?.getAttribute('data-bars') ?? 0) > 100, null, { timeout: 30_000 });
    const chart = p.locator('#chart');
    expect(await chart.getAttribute('data-tf')).toBe('10s');
    const reversalsBefore = Number(await chart.getAttribute('data-reversals'));
    await p.evaluate(() => (window as unknown as { __spacetime: { scrollToOldest(chart: number): void } }).__spacetime.scrollToOldest(0));
    await expect.poll(async () => Number(await chart.getAttribute('data-older')), { timeout: 10_000 }).toBeGreaterThan(0);
    // The page before reaches 100 minutes back: past the hour of signals the chart had.
    await expect.poll(async () => Number(await chart.getAttribute('data-older-signals')), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(Number(await chart.getAttribute('data-reversals'))).toBeGreaterThan(reversalsBefore);
    expect(barProblemsOf(await pageStats(p))).toEqual([]);
    expect(errors).toEqual([]);
    await p.close();
  });

  it('opens a time older than the loaded bars (a feed click) there, loading older pages first, and keeps them when a second chart opens the channel', async () => {
    if (browser === null) {
      throw new Error('no browser');
    }
    // The file has played (above): a 1 s chart opens with its last 10 minutes of the
    // file's 100. A feed entry that old is rare in the feed's newest 50, so the time is
    // given through the debug hook, which calls what a feed click calls.
    const p = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors = watchConsole(p);
    await p.goto(`${baseUrl}?layout=1&charts=ALFA:1s`);
    await p.waitForFunction(() => document.querySelector('#chart')?.getAttribute('data-ready') === 'true', null, { timeout: 30_000 });
    const first = (await pageStats(p)).charts[0]?.bars[0]?.[0] ?? 0;
    expect(first).toBeGreaterThan(0);
    const t = first - 1800; // half an hour before the first bar: six pages of 300 bars
    await p.evaluate((time) => (window as unknown as { __spacetime: { showTime(i: number, t: number): void } }).__spacetime.showTime(0, time), t);
    await expect.poll(() => p.locator('#chart').getAttribute('data-goto-first'), { timeout: 30_000, interval: 200 }).not.toBeNull();
    expect(Number(await p.locator('#chart').getAttribute('data-goto-first'))).toBeLessThanOrEqual(t);
    expect(Number(await p.locator('#chart').getAttribute('data-older'))).toBeGreaterThanOrEqual(1800);
    const range = await p.evaluate(() => (window as unknown as { __spacetime: { visibleRange(i: number): { from: number; to: number } | null } }).__spacetime.visibleRange(0));
    expect(range).not.toBeNull();
    expect(range?.from ?? Infinity).toBeLessThanOrEqual(t);
    expect(range?.to ?? -Infinity).toBeGreaterThanOrEqual(t);
    expect(barProblemsOf(await pageStats(p))).toEqual([]);

    // A second chart on the same symbol and timeframe: the page subscribes the channel
    // again, and the first chart keeps the history it scrolled back into.
    const held = await pageStats(p);
    const firstBefore = held.charts[0]?.bars[0]?.[0] ?? 0;
    const barsBefore = held.charts[0]?.bars.length ?? 0;
    await p.locator('#layouts button[data-layout="2"]').click();
    await p.locator('.cell[data-index="1"]').click();
    await p.locator('#symbol').selectOption('ALFA');
    await p.locator('#timeframes button[data-tf="1s"]').click();
    await expect.poll(() => p.locator('#chart-1').getAttribute('data-symbol'), { timeout: 10_000 }).toBe('ALFA');
    await expect.poll(() => p.locator('#chart-1').getAttribute('data-ready'), { timeout: 20_000 }).toBe('true');
    await expect.poll(() => p.locator('#chart-1').getAttribute('data-tf'), { timeout: 10_000 }).toBe('1s');
    await expect.poll(async () => Number(await p.locator('#chart-1').getAttribute('data-bars')), { timeout: 20_000 }).toBeGreaterThan(100);
    const after = await pageStats(p);
    expect(after.charts[0]?.bars[0]?.[0]).toBe(firstBefore);
    expect(after.charts[0]?.bars.length ?? 0).toBeGreaterThanOrEqual(barsBefore);
    expect(barProblemsOf(after)).toEqual([]);
    expect(errors).toEqual([]);
    await p.close();
  });
});

function barProblemsOf(stats: Awaited<ReturnType<typeof pageStats>>): string[] {
  return barProblems(stats.charts[0]?.bars ?? []);
}
