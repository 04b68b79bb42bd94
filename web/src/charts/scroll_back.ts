// The state of one chart's scroll-back (older candles over REST, page by page), kept
// DOM-free: one page at a time; "complete" only on a real "no older rows" answer (or
// when the bar bound leaves no room); a failed page (e.g. the server's documented 503
// `busy`) is retried later with a backoff of 1 s doubling to 30 s instead of turning
// scroll-back off. Also plans a jump to a time older than the loaded bars (a click on
// a feed entry): older pages are loaded first, at most `kMaxGotoPages`.

/** First delay before a failed scroll-back page is asked again, and the longest. */
export const kScrollBackRetryMs = 1_000;
export const kScrollBackMaxRetryMs = 30_000;
/** Scroll-back pages loaded at most to reach a time older than the loaded bars. */
export const kMaxGotoPages = 20;

export class ScrollBack {
  private loading_ = false;
  private complete_ = false;
  private failures_ = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;

  constructor(retryMs = kScrollBackRetryMs, maxRetryMs = kScrollBackMaxRetryMs) {
    this.retryMs = retryMs;
    this.maxRetryMs = maxRetryMs;
  }

  /** A page may be asked for now (none in flight, none waiting for a retry, more exist). */
  canLoad(): boolean {
    return !this.loading_ && !this.complete_ && this.timer === null;
  }

  loading(): boolean {
    return this.loading_;
  }

  /** No older candles on the server, or no room left for them. */
  complete(): boolean {
    return this.complete_;
  }

  /** Failed pages in a row (0 after a success). */
  failures(): number {
    return this.failures_;
  }

  /** A page was asked for. */
  started(): void {
    this.loading_ = true;
  }

  /** A page came: `more` from the server; `added` bars found room. */
  succeeded(added: number, more: boolean): void {
    this.loading_ = false;
    this.failures_ = 0;
    if (!more || added === 0) {
      this.complete_ = true;
    }
  }

  /** A page failed: `retry` is called after the backoff (not if reset or disposed first). */
  failed(retry: () => void): void {
    this.loading_ = false;
    this.failures_ += 1;
    const delay = Math.min(this.maxRetryMs, this.retryMs * 2 ** (this.failures_ - 1));
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = null;
      retry();
    }, delay);
  }

  /** Another channel (or bars replaced): starts over. */
  reset(): void {
    this.clearTimer();
    this.loading_ = false;
    this.complete_ = false;
    this.failures_ = 0;
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }
}

/**
 * What to do to show `time` (UTC seconds) on bars starting at `firstT`: load an older
 * page first while the time is before the first bar, more may exist and the page bound
 * is not used up; else show it (clamped to the first bar if it is still older).
 */
export function gotoStep(time: number, firstT: number, complete: boolean, pagesUsed: number, maxPages = kMaxGotoPages): 'load' | 'show' {
  return time < firstT && !complete && pagesUsed < maxPages ? 'load' : 'show';
}
