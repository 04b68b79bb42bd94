// Applies server messages once per animation frame: frames arriving between two
// paints are queued and handed over together, so a burst of batches costs one round
// of chart updates; a round that runs past its budget (kRoundBudgetMs) leaves the rest,
// in order, to the next frame, so no burst becomes one long task. A timer backs the frame callback up, because a hidden tab gets no
// animation frames and the queue must not grow without bound.

/** Asks for `callback` at the next frame; may return how to cancel that request. */
export type FrameScheduler = (callback: () => void) => (() => void) | void;

const animationFrame: FrameScheduler = (callback) => {
  const handle = requestAnimationFrame(() => callback());
  return () => cancelAnimationFrame(handle);
};

export interface FrameQueueOptions<T> {
  readonly apply: (item: T) => void;
  /**
   * Called once after each round, when every item of it has been applied: where
   * consumers that coalesce (the charts keep only the last value per bar) draw.
   */
  readonly afterFlush?: () => void;
  /** Defaults to requestAnimationFrame. */
  readonly schedule?: FrameScheduler;
  /** Items are applied at the latest this long after the first one queued. */
  readonly maxDelayMs?: number;
  /**
   * A round stops applying items once it has taken this long (ms) and leaves the rest,
   * in order, to the next frame, so a burst (the first snapshots of a 4-chart screen)
   * is spread over frames instead of one long task. Default `kRoundBudgetMs`.
   */
  readonly budgetMs?: number;
  /** The clock (ms); defaults to performance.now. */
  readonly now?: () => number;
}

/** How long one round may apply items before it yields to the next frame (ms). */
export const kRoundBudgetMs = 12;

export class FrameQueue<T> {
  private readonly options: FrameQueueOptions<T>;
  private queue: T[] = [];
  private scheduled = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Cancels the one frame request outstanding (a hidden tab never runs it). */
  private cancelFrame: (() => void) | null = null;
  private flushes_ = 0;
  private busyMs_ = 0;
  private maxFlushMs_ = 0;
  /** The longest round since `startWindow()` (a measurement leaving the first load out). */
  private windowMaxFlushMs_ = 0;
  private windowFlushes_ = 0;
  /** Rounds that stopped at the budget with items left for the next frame. */
  private split_ = 0;

  constructor(options: FrameQueueOptions<T>) {
    this.options = options;
  }

  push(item: T): void {
    this.queue.push(item);
    this.request();
  }

  private request(): void {
    if (this.scheduled) {
      return;
    }
    this.scheduled = true;
    const schedule = this.options.schedule ?? animationFrame;
    this.cancelFrame = schedule(() => {
      this.cancelFrame = null;
      this.flush();
    }) ?? null;
    this.timer = setTimeout(() => this.flush(), this.options.maxDelayMs ?? 250);
  }

  /** Applies everything queued now, in order. */
  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.cancelFrame !== null) {
      // The timer ran first (a hidden tab): its frame request must not pile up.
      this.cancelFrame();
      this.cancelFrame = null;
    }
    this.scheduled = false;
    if (this.queue.length === 0) {
      return;
    }
    const items = this.queue;
    this.queue = [];
    this.flushes_ += 1;
    const now = this.options.now ?? (() => performance.now());
    const budget = this.options.budgetMs ?? kRoundBudgetMs;
    const start = now();
    let applied = 0;
    while (applied < items.length) {
      this.options.apply(items[applied] as T);
      applied += 1;
      if (applied < items.length && now() - start >= budget) {
        break;
      }
    }
    if (applied < items.length) {
      // What is left goes first in the next round (anything pushed meanwhile after it).
      this.queue = items.slice(applied).concat(this.queue);
      this.split_ += 1;
    }
    this.options.afterFlush?.();
    const took = now() - start;
    this.busyMs_ += took;
    this.maxFlushMs_ = Math.max(this.maxFlushMs_, took);
    this.windowMaxFlushMs_ = Math.max(this.windowMaxFlushMs_, took);
    this.windowFlushes_ += 1;
    if (this.queue.length > 0) {
      this.request();
    }
  }

  /** Starts a measurement window: `timing().window` covers the rounds from now on. */
  startWindow(): void {
    this.windowMaxFlushMs_ = 0;
    this.windowFlushes_ = 0;
  }

  /**
   * Time spent applying items (ms), in all and in the longest round, and the rounds
   * that stopped at the budget; `window` since `startWindow()` (else since the start).
   */
  timing(): {
    readonly busyMs: number;
    readonly maxFlushMs: number;
    readonly splitRounds: number;
    readonly window: { readonly flushes: number; readonly maxFlushMs: number };
  } {
    return {
      busyMs: this.busyMs_,
      maxFlushMs: this.maxFlushMs_,
      splitRounds: this.split_,
      window: { flushes: this.windowFlushes_, maxFlushMs: this.windowMaxFlushMs_ },
    };
  }

  pending(): number {
    return this.queue.length;
  }

  /** Rounds of updates applied so far. */
  flushes(): number {
    return this.flushes_;
  }
}
