// End to end: the trading screen around the charts — the 4-chart layout with its own
// symbol and timeframe per chart, kept in the URL and localStorage across a reload,
// the theme toggle (a CSS variable changes), and a 390×844 phone viewport where the
// sidebar (watchlist + signal feed) is a drawer behind the menu button. Screenshots:
// desktop-dark.png, desktop-light.png, four-charts.png, phone.png, phone-drawer.png.
//
// Environment: see e2e/support.ts. Needs `npm run build` first.

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway, barProblems, checkPrerequisites, launchBrowser, pageStats, saveScreenshot, watchConsole } from './support';

const gateway = new Gateway();
let browser: Browser | null = null;
let baseUrl = '';
const consoleErrors: string[] = [];

function openBrowser(): Browser {
  if (browser === null) {
    throw new Error('no browser');
  }
  return browser;
}

const chartIds = ['#chart', '#chart-1', '#chart-2', '#chart-3'];

async function waitForBars(p: Page, id: string, bars = 1): Promise<void> {
  await p.waitForFunction(
    ({ selector, min }) => {
      const chart = document.querySelector(selector);
      return chart?.getAttribute('data-ready') === 'true' && Number(chart.getAttribute('data-bars') ?? 0) >= min;
    },
    { selector: id, min: bars },
    { timeout: 30_000 },
  );
}

describe('the trading screen', () => {
  beforeAll(async () => {
    checkPrerequisites();
    const port = await gateway.start(0);
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

  it('shows four independent charts and keeps the screen across a reload', async () => {
    const context = await openBrowser().newContext({ viewport: { width: 1400, height: 900 } });
    const p = await context.newPage();
    consoleErrors.push(...watchConsole(p));
    await p.goto(`${baseUrl}?layout=4`);
    for (const id of chartIds) {
      await waitForBars(p, id);
    }
    const choices = await Promise.all(chartIds.map(async (id) => `${await p.locator(id).getAttribute('data-symbol')}:${await p.locator(id).getAttribute('data-tf')}`));
    expect(new Set(choices).size).toBe(4);
    expect(await p.locator('#layouts button.active').getAttribute('data-layout')).toBe('4');
    expect((await pageStats(p)).layout).toBe('4');

    // Focus the third chart and give it another symbol and timeframe.
    await p.locator('.cell[data-index="2"]').click({ position: { x: 40, y: 40 } });
    await expect.poll(() => p.locator('.cell[data-index="2"]').getAttribute('class')).toContain('focused');
    const options = await p.locator('#symbol option').allTextContents();
    const other = options.find((s) => s !== choices[2]?.split(':')[0]) ?? '';
    await p.locator('#symbol').selectOption(other);
    await p.locator('#timeframes button[data-tf="1s"]').click();
    await expect.poll(() => p.locator('#chart-2').getAttribute('data-symbol')).toBe(other);
    await expect.poll(() => p.locator('#chart-2').getAttribute('data-tf')).toBe('1s');
    await waitForBars(p, '#chart-2');
    // The others did not move.
    expect(`${await p.locator('#chart').getAttribute('data-symbol')}:${await p.locator('#chart').getAttribute('data-tf')}`).toBe(choices[0]);
    expect(p.url()).toContain('layout=4');
    await saveScreenshot(p, 'four-charts.png');

    for (const chart of (await pageStats(p)).charts) {
      expect(barProblems(chart.bars)).toEqual([]);
    }

    // A reload (the URL) and a fresh visit (localStorage) reopen the same screen.
    await p.reload();
    await expect.poll(() => p.locator('#chart-2').getAttribute('data-symbol')).toBe(other);
    await p.goto(baseUrl);
    await expect.poll(() => p.locator('#charts').getAttribute('data-layout')).toBe('4');
    await expect.poll(() => p.locator('#chart-2').getAttribute('data-symbol')).toBe(other);
    await expect.poll(() => p.locator('#chart-2').getAttribute('data-tf')).toBe('1s');

    // The crosshair follows the pointer across charts (no error; the toggle is kept).
    const box = await p.locator('#chart').boundingBox();
    if (box !== null) {
      await p.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.3);
      await p.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.35);
    }
    await p.locator('#crosshair-sync').click();
    expect(await p.locator('#crosshair-sync').getAttribute('aria-pressed')).toBe('false');
    await p.locator('#crosshair-sync').click();

    // Reversal versions switch on and off for every chart, and stay so.
    await p.locator('#versions button[data-version="1"]').click();
    await expect.poll(() => p.locator('#chart-1').getAttribute('data-versions')).toBe('2,3,4');
    expect(await p.locator('#versions button[data-version="1"]').getAttribute('aria-pressed')).toBe('false');
    await p.reload();
    await expect.poll(() => p.locator('#chart').getAttribute('data-versions')).toBe('2,3,4');
    await p.locator('#versions button[data-version="1"]').click();
    await expect.poll(() => p.locator('#chart').getAttribute('data-versions')).toBe('1,2,3,4');

    // Back to one chart: the others are gone, their channels unsubscribed.
    await p.locator('#layouts button[data-layout="1"]').click();
    await expect.poll(async () => (await pageStats(p)).charts.length).toBe(1);
    await waitForBars(p, '#chart');
    const themeOf = (): Promise<string> => p.evaluate(() => document.documentElement.dataset['theme'] ?? 'dark');
    await saveScreenshot(p, `desktop-${await themeOf()}.png`);
    const before = await p.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--chart-bg').trim());
    await p.locator('#theme-toggle').click();
    const after = await p.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--chart-bg').trim());
    expect(after).not.toBe(before);
    await saveScreenshot(p, `desktop-${await themeOf()}.png`);
    await context.close();
  });

  it('syncs the time scales when asked (per layout), draws sparklines and opens a signal at its time', async () => {
    const context = await openBrowser().newContext({ viewport: { width: 1400, height: 900 } });
    const p = await context.newPage();
    consoleErrors.push(...watchConsole(p));
    await p.goto(`${baseUrl}?layout=2&charts=ALFA:1s,BRVO:1s&focus=0`);
    await waitForBars(p, '#chart', 20);
    await waitForBars(p, '#chart-1', 20);
    const bars = (i: number): Promise<number> => p.evaluate((chart) => window.__spacetime?.visibleBars(chart) ?? -1, i);
    const range = (i: number): Promise<{ from: number; to: number } | null> =>
      p.evaluate((chart) => window.__spacetime?.visibleRange(chart) ?? null, i);
    const zoomChart0 = async (delta: number): Promise<void> => {
      const box = await p.locator('#chart').boundingBox();
      if (box === null) {
        throw new Error('no chart box');
      }
      await p.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.3);
      for (let i = 0; i < 8; i += 1) {
        await p.mouse.wheel(0, delta);
        await p.waitForTimeout(30);
      }
    };
    // Off (the default): zooming one chart leaves the other's zoom alone.
    expect(await p.locator('#time-sync').getAttribute('aria-pressed')).toBe('false');
    const otherBefore = await bars(1);
    const zoomBefore = await bars(0);
    await zoomChart0(-300);
    await expect.poll(async () => Math.abs((await bars(0)) - zoomBefore)).toBeGreaterThan(5);
    expect(Math.abs((await bars(1)) - otherBefore)).toBeLessThanOrEqual(1);
    const aligned = async (): Promise<boolean> => {
      const [a, b] = [await range(0), await range(1)];
      return a !== null && b !== null && Math.abs(a.from - b.from) <= 3 && Math.abs(a.to - b.to) <= 3;
    };
    // So the charts show different time ranges now...
    expect(await aligned()).toBe(false);
    // ...until sync is on: the other chart follows to the same span of time.
    await p.locator('#time-sync').click();
    expect(await p.locator('#time-sync').getAttribute('aria-pressed')).toBe('true');
    await zoomChart0(100);
    await expect.poll(aligned).toBe(true);
    // Kept for this layout only.
    await p.reload();
    await expect.poll(() => p.locator('#time-sync').getAttribute('aria-pressed')).toBe('true');
    await p.locator('#layouts button[data-layout="1"]').click();
    await expect.poll(() => p.locator('#time-sync').getAttribute('aria-pressed')).toBe('false');
    await p.locator('#layouts button[data-layout="2"]').click();
    await expect.poll(() => p.locator('#time-sync').getAttribute('aria-pressed')).toBe('true');

    // Every watchlist row draws its intensity sparkline.
    await expect
      .poll(() => p.locator('#watchlist tr').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-spark-points') ?? 0))), {
        timeout: 20_000,
      })
      .toSatisfy((points: number[]) => points.length === 5 && points.every((n) => n >= 2));
    expect(await p.locator('#watchlist tr polyline').first().getAttribute('points')).toMatch(/^[\d.]+,[\d.]+ /);

    // A signal of the feed opens its symbol in the focused chart, at its time.
    await p.locator('.cell[data-index="1"]').click({ position: { x: 40, y: 40 } });
    await p.locator('#feed li').first().waitFor({ timeout: 60_000 });
    // One element, held: the feed is live, and a locator would find a newer first entry.
    const entry = await p.locator('#feed li').first().elementHandle();
    if (entry === null) {
      throw new Error('no feed entry');
    }
    const symbol = await entry.getAttribute('data-symbol');
    const tMs = Number(await entry.getAttribute('data-t-ms'));
    await entry.click();
    await expect.poll(() => p.locator('#chart-1').getAttribute('data-symbol')).toBe(symbol);
    await expect.poll(() => p.locator('#chart-1').getAttribute('data-goto')).toBe(String(Math.floor(tMs / 1000)));
    await waitForBars(p, '#chart-1');
    await expect
      .poll(() => p.evaluate(() => window.__spacetime?.visibleRange(1) ?? null))
      .toSatisfy((range: { from: number; to: number } | null) => range !== null && range.from <= tMs / 1000 && tMs / 1000 <= range.to + 1);
    await context.close();
  });

  it('is usable on a 390×844 phone with the sidebar in a drawer', async () => {
    const context = await openBrowser().newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const p = await context.newPage();
    consoleErrors.push(...watchConsole(p));
    await p.goto(baseUrl);
    await waitForBars(p, '#chart');
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    // The drawer is closed and off screen; the menu button opens it.
    expect(await p.locator('#menu-toggle').isVisible()).toBe(true);
    const closed = await p.locator('#sidebar').boundingBox();
    expect((closed?.x ?? 0) + (closed?.width ?? 0)).toBeLessThanOrEqual(1);
    await saveScreenshot(p, 'phone.png');
    await p.locator('#menu-toggle').click();
    await expect.poll(() => p.locator('#sidebar').getAttribute('data-open')).toBe('true');
    await expect.poll(async () => (await p.locator('#sidebar').boundingBox())?.x ?? -1).toBeGreaterThanOrEqual(0);
    await expect.poll(() => p.locator('#watchlist tr').count()).toBe(5);
    await expect.poll(() => p.locator('#watchlist tr .last').first().textContent(), { timeout: 15_000 }).toMatch(/^\d/);
    await saveScreenshot(p, 'phone-drawer.png');
    // Picking a symbol in the watchlist opens it in the chart and closes the drawer.
    const row = p.locator('#watchlist tr').nth(2);
    const symbol = await row.getAttribute('data-symbol');
    await row.click();
    await expect.poll(() => p.locator('#sidebar').getAttribute('data-open')).toBe('false');
    await expect.poll(() => p.locator('#chart').getAttribute('data-symbol')).toBe(symbol);
    await waitForBars(p, '#chart', 1);
    // Down to 360 px nothing sticks out sideways.
    await p.setViewportSize({ width: 360, height: 740 });
    await expect.poll(() => p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await context.close();
  });

  // Last, so that the simulator has run for a while: the screenshots show a screen with
  // history, reversal markers, spikes in the feed and the band, not a chart a second old.
  it('saves the desktop screenshots with live data', async () => {
    const context = await openBrowser().newContext({ viewport: { width: 1400, height: 900 } });
    const p = await context.newPage();
    consoleErrors.push(...watchConsole(p));
    await p.goto(`${baseUrl}?layout=4&charts=ALFA:1s,BRVO:1s,CHRL:10s,DLTA:1s&focus=0`);
    for (const id of chartIds) {
      await waitForBars(p, id);
    }
    await waitForBars(p, '#chart', 30);
    await expect.poll(() => p.locator('#chart').getAttribute('data-band-points'), { timeout: 30_000 }).not.toBe('0');
    await expect.poll(() => p.locator('#feed li').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    for (const chart of (await pageStats(p)).charts) {
      expect(barProblems(chart.bars)).toEqual([]);
    }
    await saveScreenshot(p, 'four-charts.png');
    await p.locator('#layouts button[data-layout="1"]').click();
    await waitForBars(p, '#chart', 30);
    const themeOf = (): Promise<string> => p.evaluate(() => document.documentElement.dataset['theme'] ?? 'dark');
    const first = await themeOf();
    await saveScreenshot(p, `desktop-${first}.png`);
    await p.locator('#theme-toggle').click();
    await expect.poll(themeOf).not.toBe(first);
    await saveScreenshot(p, `desktop-${await themeOf()}.png`);
    await context.close();
  });

  it('logged no console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
