// Applies server messages once per animation frame: frames arriving between two
// paints are queued and handed over together, so a burst of batches costs one round
// of chart updates. A timer backs the frame callback up, because a hidden tab gets no
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
}

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

  constructor(options: FrameQueueOptions<T>) {
    this.options = options;
  }

  push(item: T): void {
    this.queue.push(item);
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
    const start = performance.now();
    for (const item of items) {
      this.options.apply(item);
    }
    this.options.afterFlush?.();
    const took = performance.now() - start;
    this.busyMs_ += took;
    this.maxFlushMs_ = Math.max(this.maxFlushMs_, took);
  }

  /** Time spent applying items (ms), in all and in the longest round. */
  timing(): { readonly busyMs: number; readonly maxFlushMs: number } {
    return { busyMs: this.busyMs_, maxFlushMs: this.maxFlushMs_ };
  }

  pending(): number {
    return this.queue.length;
  }

  /** Rounds of updates applied so far. */
  flushes(): number {
    return this.flushes_;
  }
}
