// End to end: the real server binary (protocol v2) serves web/dist and streams a
// synthetic feed; headless Chromium loads the page and we check that candles and the
// intensity pane are really drawn, that the smoother picker moves intensity to the
// `intensity:<s>` channel of the new smoother, and that the bars the page holds have
// strictly increasing times and consecutive closed-candle seqs. Reversal markers are
// not asserted here: a fresh server needs ~1000 ticks of warm-up and signals are sparse
// (tests/markers.test.ts and tests/indicator_state.test.ts cover them).
//
// Environment: see e2e/support.ts. Needs `npm run build` first (the server serves web/dist).

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway, barProblems, checkPrerequisites, launchBrowser, pageStats, saveScreenshot, useMock, watchConsole } from './support';

const gateway = new Gateway();
let browser: Browser | null = null;
let page: Page | null = null;
let baseUrl = '';
let consoleErrors: string[] = [];
let screenshotTaken = false;

function currentPage(): Page {
  if (page === null) {
    throw new Error('no page');
  }
  return page;
}

/**
 * Counts the pixels of candle bodies: pixels of the plot pane's canvases that have the
 * theme's up- or down-candle colour, and so do their right and lower neighbours. That
 * leaves out 1-px wicks, the dotted last-price line and the price-axis label, so only
 * drawn candle bodies count. The CSS colours are resolved through a 1×1 canvas, so any
 * CSS colour syntax works.
 */
async function candlePixels(p: Page): Promise<{ up: number; down: number; canvases: number }> {
  return p.evaluate(() => {
    const style = getComputedStyle(document.documentElement);
    const probe = document.createElement('canvas');
    probe.width = 1;
    probe.height = 1;
    const probeContext = probe.getContext('2d', { willReadFrequently: true });
    if (probeContext === null) {
      throw new Error('no 2d context');
    }
    const rgb = (variable: string): [number, number, number] => {
      const colour = style.getPropertyValue(variable).trim();
      if (colour === '') {
        throw new Error(`CSS variable ${variable} is not set`);
      }
      probeContext.clearRect(0, 0, 1, 1);
      probeContext.fillStyle = colour;
      probeContext.fillRect(0, 0, 1, 1);
      const d = probeContext.getImageData(0, 0, 1, 1).data;
      return [d[0] ?? 0, d[1] ?? 0, d[2] ?? 0];
    };
    const up = rgb('--candle-up');
    const down = rgb('--candle-down');

    // The plot pane's canvases (a background and a top layer) are the largest ones;
    // the axes' canvases are narrower or shorter.
    const all = [...document.querySelectorAll<HTMLCanvasElement>('#chart canvas')];
    const area = (c: HTMLCanvasElement): number => c.width * c.height;
    const largest = Math.max(0, ...all.map(area));
    const panes = all.filter((c) => largest > 0 && area(c) === largest);

    let upCount = 0;
    let downCount = 0;
    for (const canvas of panes) {
      const context = canvas.getContext('2d');
      if (context === null) {
        continue;
      }
      const { width, height } = canvas;
      const data = context.getImageData(0, 0, width, height).data;
      const is = (x: number, y: number, c: [number, number, number]): boolean => {
        const i = (y * width + x) * 4;
        return (
          (data[i + 3] ?? 0) > 250 &&
          Math.abs((data[i] ?? 0) - c[0]) <= 3 &&
          Math.abs((data[i + 1] ?? 0) - c[1]) <= 3 &&
          Math.abs((data[i + 2] ?? 0) - c[2]) <= 3
        );
      };
      const solid = (x: number, y: number, c: [number, number, number]): boolean =>
        is(x, y, c) && is(x + 1, y, c) && is(x, y + 1, c);
      for (let y = 0; y + 1 < height; y += 1) {
        for (let x = 0; x + 1 < width; x += 1) {
          if (solid(x, y, up)) {
            upCount += 1;
          } else if (solid(x, y, down)) {
            downCount += 1;
          }
        }
      }
    }
    return { up: upCount, down: downCount, canvases: panes.length };
  });
}

/**
 * Pixels of the intensity pane (the canvases as wide as the candle pane's, with the
 * second-largest height) in one of the zone colours of the intensity bars
 * (--intensity-below/-inside/-above/-spike), in all and per zone, and the pane's height
 * as a share of both panes. The top sixth is left out: the pane's label is drawn there,
 * and the bars keep out of it (their price scale's top margin).
 */
async function intensityPixels(p: Page): Promise<{ line: number; share: number; zones: Record<string, number> }> {
  return p.evaluate(() => {
    // Intensity is drawn as bars coloured by zone: count the pixels of each zone's colour.
    const zoneNames = ['below', 'inside', 'above', 'spike'];
    const probe = document.createElement('canvas');
    probe.width = 1;
    probe.height = 1;
    const probeContext = probe.getContext('2d', { willReadFrequently: true });
    if (probeContext === null) {
      throw new Error('no 2d context');
    }
    const rgb = zoneNames.map((zone) => {
      const colour = getComputedStyle(document.documentElement).getPropertyValue(`--intensity-${zone}`).trim();
      if (colour === '') {
        throw new Error(`no --intensity-${zone}`);
      }
      probeContext.clearRect(0, 0, 1, 1);
      probeContext.fillStyle = colour;
      probeContext.fillRect(0, 0, 1, 1);
      return [...probeContext.getImageData(0, 0, 1, 1).data];
    });
    const zones: Record<string, number> = Object.fromEntries(zoneNames.map((z) => [z, 0]));

    const all = [...document.querySelectorAll<HTMLCanvasElement>('#chart canvas')];
    const width = Math.max(0, ...all.map((c) => c.width));
    const heights = [...new Set(all.filter((c) => c.width === width).map((c) => c.height))].sort((x, y) => y - x);
    const [candleHeight, paneHeight] = heights;
    if (candleHeight === undefined || paneHeight === undefined) {
      return { line: 0, share: 0, zones };
    }
    let line = 0;
    for (const canvas of all.filter((c) => c.width === width && c.height === paneHeight)) {
      const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
      if (data === undefined) {
        continue;
      }
      for (let i = Math.ceil(canvas.height / 6) * canvas.width * 4; i < data.length; i += 4) {
        if ((data[i + 3] ?? 0) <= 250) {
          continue;
        }
        const zone = rgb.findIndex(
          ([r, g, b]) =>
            Math.abs((data[i] ?? 0) - (r ?? 0)) <= 3 && Math.abs((data[i + 1] ?? 0) - (g ?? 0)) <= 3 && Math.abs((data[i + 2] ?? 0) - (b ?? 0)) <= 3,
        );
        if (zone >= 0) {
          line += 1;
          zones[zoneNames[zone] as string] = (zones[zoneNames[zone] as string] ?? 0) + 1;
        }
      }
    }
    return { line, share: paneHeight / (candleHeight + paneHeight), zones };
  });
}

function chartNumber(p: Page, attribute: string): Promise<number> {
  return p.locator('#chart').getAttribute(attribute).then((value) => Number(value ?? 0));
}

describe('chart page against the real server', () => {
  beforeAll(async () => {
    checkPrerequisites();
    const port = await gateway.start(0);
    baseUrl = `http://127.0.0.1:${port}/`;
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    consoleErrors = watchConsole(page);
  });

  afterAll(async () => {
    try {
      // A failed run still leaves a picture of what the page showed.
      if (page !== null && !screenshotTaken) {
        await saveScreenshot(page, 'chart.png').catch((error: unknown) => console.log(`no screenshot: ${String(error)}`));
      }
      await browser?.close();
    } finally {
      browser = null;
      await gateway.stop();
    }
  });

  it('draws candles for the default channel', async () => {
    const p = currentPage();
    await p.goto(baseUrl);
    await p.waitForFunction(() => Number(document.querySelector('#chart')?.getAttribute('data-bars') ?? 0) >= 3, null, {
      timeout: 30_000,
    });
    await expect.poll(() => p.locator('#status').getAttribute('data-status')).toBe('connected');
    expect(await p.locator('#chart').getAttribute('data-tf')).toBe('1s');
    const symbol = await p.locator('#chart').getAttribute('data-symbol');
    expect(symbol).not.toBe('');
    expect(await p.locator('#symbol').inputValue()).toBe(symbol);
    expect(await p.locator('#symbol option').count()).toBe(5);
    expect(await p.locator('#timeframes button.active').getAttribute('data-tf')).toBe('1s');
    await expect.poll(() => p.locator('#last-price').textContent()).toMatch(/^\d+(\.\d+)?$/);

    // Polled: the chart paints on the next animation frame, and a run of flat candles
    // (open = close) has 1-px bodies that do not count.
    await expect
      .poll(async () => {
        const pixels = await candlePixels(p);
        console.log(`candle pixels: ${JSON.stringify(pixels)}`);
        return pixels.canvases > 0 ? pixels.up + pixels.down : 0;
      }, { timeout: 15_000, interval: 500 })
      .toBeGreaterThan(20);
  });

  it('fills holes in the closed candles over REST', async () => {
    const p = currentPage();
    if (useMock) {
      // The mock withholds two closed 1s candles (a gap notice, a silent hole): both are fetched.
      await expect.poll(async () => (await pageStats(p)).sync.refetched, { timeout: 20_000, interval: 250 }).toBeGreaterThanOrEqual(2);
    }
    const stats = await pageStats(p);
    expect(stats.malformed).toBe(0);
    expect(stats.invalidEvents).toBe(0);
    expect(barProblems(stats.charts[0]?.bars ?? [])).toEqual([]);
  });

  it('loads older candles when scrolled back to the oldest bar', async () => {
    const p = currentPage();
    const before = await chartNumber(p, 'data-bars');
    await p.evaluate(() => (window as unknown as { __spacetime: { scrollToOldest(chart: number): void } }).__spacetime.scrollToOldest(0));
    if (useMock) {
      // The mock has fifteen minutes of past; the snapshot held ten.
      await expect.poll(() => chartNumber(p, 'data-older'), { timeout: 10_000, interval: 250 }).toBeGreaterThan(0);
      expect(await chartNumber(p, 'data-bars')).toBeGreaterThan(before);
    } else {
      // A fresh server may have nothing older than the snapshot: then the chart says so.
      await expect
        .poll(async () => (await chartNumber(p, 'data-older')) > 0 || (await p.locator('#chart').getAttribute('data-history-complete')) === 'true', {
          timeout: 10_000,
          interval: 250,
        })
        .toBe(true);
    }
    expect(barProblems((await pageStats(p)).charts[0]?.bars ?? [])).toEqual([]);
    await p.evaluate(() => (window as unknown as { __spacetime: { scrollToLatest(chart: number): void } }).__spacetime.scrollToLatest(0));
  });

  it('draws the intensity pane under the candles', async () => {
    const p = currentPage();
    expect(await p.locator('#smoother').inputValue()).toBe('ema');
    expect(await p.locator('#chart').getAttribute('data-smoother')).toBe('ema');
    await expect.poll(() => chartNumber(p, 'data-intensity-points'), { timeout: 10_000, interval: 250 }).toBeGreaterThan(0);
    expect(await p.locator('#chart').getAttribute('data-intensity-ready')).toBe('true');
    // Wait for the second second, then for the bars' pixels.
    await expect.poll(() => chartNumber(p, 'data-intensity-points'), { timeout: 10_000, interval: 250 }).toBeGreaterThan(1);
    await expect
      .poll(async () => {
        const pixels = await intensityPixels(p);
        console.log(`intensity pixels: ${JSON.stringify(pixels)}`);
        return pixels.line;
      }, { timeout: 10_000, interval: 500 })
      .toBeGreaterThan(10);
    const { share } = await intensityPixels(p);
    expect(share).toBeGreaterThan(0.28);
    expect(share).toBeLessThan(0.42);
  });

  it('re-subscribes intensity with the chosen smoother', async () => {
    const p = currentPage();
    await p.locator('#smoother').selectOption('zlma');
    await expect.poll(() => p.locator('#chart').getAttribute('data-smoother')).toBe('zlma');
    // The line restarts from the server's zlma snapshot and keeps growing.
    await p.waitForFunction(
      () => {
        const chart = document.querySelector('#chart');
        return chart?.getAttribute('data-intensity-ready') === 'true' && Number(chart.getAttribute('data-intensity-points')) > 0;
      },
      null,
      { timeout: 10_000 },
    );
    // Enough seconds of the new line for a picture worth looking at (bounded).
    await expect.poll(() => chartNumber(p, 'data-intensity-points'), { timeout: 30_000, interval: 500 }).toBeGreaterThanOrEqual(20);
    expect(await p.locator('#chart').getAttribute('data-smoother')).toBe('zlma');
    expect(Number(await p.locator('#chart').getAttribute('data-band-points'))).toBeGreaterThan(0);
    await expect.poll(async () => (await intensityPixels(p)).line, { timeout: 10_000, interval: 500 }).toBeGreaterThan(10);
    await saveScreenshot(p, 'chart.png');
    screenshotTaken = true;
  });

  it('switches to the 10s timeframe', async () => {
    const p = currentPage();
    await p.locator('#timeframes button[data-tf="10s"]').click();
    await expect.poll(() => p.locator('#chart').getAttribute('data-tf')).toBe('10s');
    expect(await p.locator('#timeframes button.active').getAttribute('data-tf')).toBe('10s');
    await p.waitForFunction(
      () => {
        const chart = document.querySelector('#chart');
        return chart?.getAttribute('data-ready') === 'true' && Number(chart.getAttribute('data-bars') ?? 0) > 0;
      },
      null,
      { timeout: 30_000 },
    );
    await expect
      .poll(async () => {
        const pixels = await candlePixels(p);
        return pixels.up + pixels.down;
      }, { timeout: 15_000, interval: 500 })
      .toBeGreaterThan(0);
    // The intensity pane is per symbol: a new timeframe keeps its points.
    expect(await chartNumber(p, 'data-intensity-points')).toBeGreaterThan(0);
    expect(await p.locator('#chart').getAttribute('data-smoother')).toBe('zlma');
  });

  it('redraws the candles in the other theme', async () => {
    const p = currentPage();
    const before = await p.evaluate(() => document.documentElement.dataset['theme']);
    await p.locator('#theme-toggle').click();
    const after = await p.evaluate(() => document.documentElement.dataset['theme']);
    expect(after).not.toBe(before);
    // candlePixels reads the now active theme's colours, so this fails if the chart
    // kept drawing with the old ones.
    await expect
      .poll(async () => {
        const pixels = await candlePixels(p);
        return pixels.up + pixels.down;
      }, { timeout: 10_000, interval: 500 })
      .toBeGreaterThan(0);
  });

  it('holds every closed candle once, in order, with no hole left', async () => {
    const p = currentPage();
    // Let a few more bars close on 10s, then read what the page holds.
    await expect.poll(async () => (await pageStats(p)).charts[0]?.bars.length ?? 0, { timeout: 30_000, interval: 500 }).toBeGreaterThan(2);
    const stats = await pageStats(p);
    console.log(`page stats: ${JSON.stringify({ ...stats, charts: stats.charts.map((c) => ({ ...c, bars: c.bars.length })) })}`);
    expect(stats.malformed).toBe(0);
    expect(stats.invalidEvents).toBe(0);
    for (const chart of stats.charts) {
      expect(barProblems(chart.bars)).toEqual([]);
    }
  });

  it('logged no console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
