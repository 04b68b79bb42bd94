// Shared pieces of the browser tests: start and stop the gateway (the real binary, or
// with SPACETIME_E2E_SERVER=mock the protocol-v2 stand-in in mock_gateway.ts), launch
// Debian's Chromium through playwright-core, and read the page's debug hook.
//
//   SPACETIME_BIN         server binary (default ../build/release/bin/spacetime)
//   SPACETIME_ARTIFACTS   where screenshots go (default ../build/artifacts)
//   SPACETIME_E2E_SERVER  `binary` (default) or `mock`
//   CHROMIUM_PATH         default /usr/bin/chromium

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { MockGateway } from './mock_gateway';

export const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const serverBin = path.resolve(webDir, process.env['SPACETIME_BIN'] ?? '../build/release/bin/spacetime');
export const distDir = path.join(webDir, 'dist');
export const artifactsDir = path.resolve(webDir, process.env['SPACETIME_ARTIFACTS'] ?? '../build/artifacts');
export const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const useMock = process.env['SPACETIME_E2E_SERVER'] === 'mock';

/** The page's `window.__spacetime.stats()` (see src/main.ts). */
export interface PageStats {
  readonly connections: number;
  readonly malformed: number;
  readonly invalidEvents: number;
  readonly layout: string;
  readonly frames: {
    readonly flushes: number;
    readonly busyMs: number;
    readonly maxFlushMs: number;
    readonly splitRounds: number;
    readonly window: { readonly flushes: number; readonly maxFlushMs: number };
  };
  readonly maxBars: number;
  readonly coalesced: number;
  readonly sync: {
    readonly duplicates: number;
    readonly gaps: number;
    readonly missed: number;
    readonly refetches: number;
    readonly refetched: number;
    readonly refetchFailures: number;
    readonly resumes: number;
    readonly restarts: number;
  };
  readonly charts: readonly {
    readonly symbol: string;
    readonly tf: string;
    readonly dropped: number;
    readonly bars: readonly (readonly [number, number])[];
  }[];
}

export function checkPrerequisites(): void {
  if (!useMock && !existsSync(serverBin)) {
    throw new Error(`server binary not found: ${serverBin} (set SPACETIME_BIN)`);
  }
  if (!existsSync(path.join(distDir, 'index.html'))) {
    throw new Error(`${distDir}/index.html missing: run \`npm run build\` first`);
  }
}

/** Whether the binary's `serve` knows a flag (e.g. `--data-dir` once storage lands). */
export function serverHasFlag(flag: string): boolean {
  if (useMock) {
    return flag === '--data-dir';
  }
  try {
    return execFileSync(serverBin, ['serve', '--help'], { encoding: 'utf8' }).includes(flag);
  } catch {
    return false;
  }
}

/** One running gateway, the binary or the mock. */
export class Gateway {
  private child: ChildProcess | null = null;
  private mock: MockGateway | null = null;
  log = '';

  /** Starts it and resolves with the port it listens on (`port` 0: any free one). */
  async start(port: number, extraArgs: readonly string[] = [], rate = 2000): Promise<number> {
    if (useMock) {
      const dataDir = extraArgs.includes('--data-dir') ? (extraArgs[extraArgs.indexOf('--data-dir') + 1] ?? null) : null;
      this.mock = new MockGateway({ webRoot: distDir, symbols: 5, dataDir });
      return this.mock.listen(port);
    }
    const child = spawn(
      serverBin,
      ['serve', '--port', String(port), '--bind', '127.0.0.1', '--web-root', distDir, '--symbols', '5', '--rate', String(rate), '--seed', '1',
        // Never the working directory's ./data: a throwaway store unless the test brings one.
        ...(extraArgs.includes('--data-dir') ? [] : ['--data-dir', mkdtempSync(path.join(tmpdir(), 'spacetime-e2e-'))]),
        ...extraArgs],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    let seen = '';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server printed no port within 20 s:\n${this.log}`)), 20_000);
      const onData = (chunk: Buffer): void => {
        this.log += chunk.toString();
        seen += chunk.toString();
        const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(seen);
        if (match !== null) {
          clearTimeout(timer);
          seen = '';
          resolve(Number(match[1]));
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`server exited early (code ${String(code)}, signal ${String(signal)}):\n${this.log}`));
      });
    });
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.mock !== null) {
      const mock = this.mock;
      this.mock = null;
      await mock.close();
      return;
    }
    const child = this.child;
    this.child = null;
    if (child === null || child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killer);
  }
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Collects console errors and uncaught exceptions of a page. */
export function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') {
      errors.push(message.text());
    }
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  return errors;
}

export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(artifactsDir, { recursive: true });
  const shot = path.join(artifactsDir, name);
  await page.screenshot({ path: shot });
  console.log(`screenshot: ${shot}`);
  return shot;
}

export function pageStats(page: Page): Promise<PageStats> {
  return page.evaluate(() => {
    const hook = (window as unknown as { __spacetime?: { stats(): unknown } }).__spacetime;
    if (hook === undefined) {
      throw new Error('page has no window.__spacetime');
    }
    return hook.stats() as PageStats;
  });
}

/**
 * What is wrong with a chart's bars: times must strictly increase, and closed candles
 * (all but the last bar, which may be in progress) must have consecutive seqs.
 */
export function barProblems(bars: readonly (readonly [number, number])[]): string[] {
  const problems: string[] = [];
  for (let i = 1; i < bars.length; i += 1) {
    const [t0, s0] = bars[i - 1] as readonly [number, number];
    const [t1, s1] = bars[i] as readonly [number, number];
    if (t1 <= t0) {
      problems.push(`time not increasing at ${i}: ${t0} then ${t1}`);
    }
    if (s1 === s0) {
      problems.push(`duplicated seq ${s1} at ${i}`);
    } else if (s1 !== s0 + 1) {
      problems.push(`missing seqs ${s0 + 1}..${s1 - 1} before t=${t1}`);
    }
  }
  return problems;
}
