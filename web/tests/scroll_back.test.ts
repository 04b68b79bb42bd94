import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ScrollBack, gotoStep, kMaxGotoPages } from '../src/charts/scroll_back';

describe('ScrollBack', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('loads one page at a time and is complete only when the server has no more', () => {
    const s = new ScrollBack();
    expect(s.canLoad()).toBe(true);
    s.started();
    expect(s.canLoad()).toBe(false);
    s.succeeded(300, true);
    expect(s.canLoad()).toBe(true);
    s.started();
    s.succeeded(120, false);
    expect(s.complete()).toBe(true);
    expect(s.canLoad()).toBe(false);
    s.reset();
    expect(s.canLoad()).toBe(true);
  });

  it('keeps scroll-back on after a failed page (503 busy) and retries with a backoff of 1 s doubling to 30 s', () => {
    const s = new ScrollBack();
    const retries: number[] = [];
    const t0 = Date.now();
    const fail = (): void => {
      s.started();
      s.failed(() => {
        retries.push(Date.now() - t0);
        if (retries.length < 7) {
          fail();
        }
      });
      expect(s.complete()).toBe(false);
      expect(s.canLoad()).toBe(false); // waiting for the retry
    };
    fail();
    vi.advanceTimersByTime(200_000);
    expect(retries).toEqual([1_000, 3_000, 7_000, 15_000, 31_000, 61_000, 91_000]);
    s.started();
    s.succeeded(10, true);
    expect(s.failures()).toBe(0);
    expect(s.canLoad()).toBe(true);
  });

  it('drops a pending retry when the chart moves on', () => {
    const s = new ScrollBack();
    const retry = vi.fn();
    s.started();
    s.failed(retry);
    s.reset();
    vi.advanceTimersByTime(60_000);
    expect(retry).not.toHaveBeenCalled();
    expect(s.canLoad()).toBe(true);
  });
});

describe('gotoStep', () => {
  it('loads older pages while the time is before the first bar, bounded', () => {
    expect(gotoStep(100, 500, false, 0)).toBe('load');
    expect(gotoStep(100, 500, false, kMaxGotoPages - 1)).toBe('load');
    expect(gotoStep(100, 500, false, kMaxGotoPages)).toBe('show');
    expect(gotoStep(100, 500, true, 0)).toBe('show');
    expect(gotoStep(500, 500, false, 0)).toBe('show');
  });
});
