// Bounded, time-ordered series of chart points (times in UTC seconds), kept DOM-free.
// Indicator events arrive many times a second; a chart wants one point per time, so a
// point for the time of the last point replaces it ("folding"), a later one is appended
// and an earlier one is ignored. Old points are dropped past a bound.

/** A point of a series; `time` is UTC seconds, what Lightweight Charts calls UTCTimestamp. */
export interface TimePoint {
  readonly time: number;
}

/** What the chart series must do after `put`. */
export type SeriesChange<P extends TimePoint> =
  /** Older than the last point: nothing to draw. */
  | { readonly kind: 'ignored' }
  /** Replaced the last point or appended one (`series.update(point)`). */
  | { readonly kind: 'last'; readonly point: P }
  /** Old points were dropped to bound memory: set the whole series again. */
  | { readonly kind: 'reset' };

export class TimeSeriesBuffer<P extends TimePoint> {
  private readonly maxPoints: number;
  private points_: P[] = [];

  constructor(maxPoints: number) {
    this.maxPoints = Math.max(1, Math.floor(maxPoints));
  }

  /** Points oldest first, strictly increasing in `time`. */
  points(): readonly P[] {
    return this.points_;
  }

  size(): number {
    return this.points_.length;
  }

  first(): P | null {
    return this.points_[0] ?? null;
  }

  last(): P | null {
    return this.points_.at(-1) ?? null;
  }

  clear(): void {
    this.points_ = [];
  }

  /** Folds one point in (see the file comment). */
  put(point: P): SeriesChange<P> {
    const last = this.points_.at(-1);
    if (last !== undefined && point.time < last.time) {
      return { kind: 'ignored' };
    }
    if (last !== undefined && point.time === last.time) {
      this.points_[this.points_.length - 1] = point;
      return { kind: 'last', point };
    }
    this.points_.push(point);
    return this.trim() ? { kind: 'reset' } : { kind: 'last', point };
  }

  /** Drops the points older than `time`; true if any went. */
  dropBefore(time: number): boolean {
    const index = this.points_.findIndex((p) => p.time >= time);
    const keepFrom = index < 0 ? this.points_.length : index;
    if (keepFrom === 0) {
      return false;
    }
    this.points_ = this.points_.slice(keepFrom);
    return true;
  }

  /** Drops the oldest points past `maxPoints` (down to 90 % so resets stay rare). */
  private trim(): boolean {
    if (this.points_.length <= this.maxPoints) {
      return false;
    }
    const keep = Math.max(1, Math.floor(this.maxPoints * 0.9));
    this.points_ = this.points_.slice(this.points_.length - keep);
    return true;
  }
}

/** The UTC second of a millisecond time (the intensity pane's resolution). */
export function secondOf(tMs: number): number {
  return Math.floor(tMs / 1000);
}

/**
 * Where a time (UTC seconds) falls on a chart: the start of the bar holding it. A
 * number is a grid of that many seconds aligned to the epoch; a function is the chart's
 * own bars (`barStartOf`), which sessions start at their open, not on the epoch grid.
 */
export type BarGrid = number | ((tSeconds: number) => number);

/** Start of the bucket of `grid` holding `tSeconds` (a number: buckets aligned to the epoch). */
export function bucketStart(tSeconds: number, grid: BarGrid): number {
  if (typeof grid === 'function') {
    return grid(tSeconds);
  }
  const size = Math.max(1, Math.floor(grid));
  return Math.floor(tSeconds / size) * size;
}

/** The candle time of an event at `tMs` on `grid` (a timeframe in seconds, or the bars). */
export function bucketOfMs(tMs: number, grid: BarGrid): number {
  return bucketStart(secondOf(tMs), grid);
}

/**
 * The start of the bar holding `tSeconds`, by binary search over the bars' start times
 * (oldest first): a bar holds [its start, the next bar's start). Past the last bar the
 * timeframe's grid goes on from the last start (the bars to come); before the first
 * bar, and with no bars, the epoch grid.
 */
export function barStartOf(bars: readonly { readonly t: number }[], tSeconds: number, tfSeconds: number): number {
  const size = Math.max(1, Math.floor(tfSeconds));
  const first = bars[0];
  if (first === undefined || tSeconds < first.t) {
    return Math.floor(tSeconds / size) * size;
  }
  let lo = 0;
  let hi = bars.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((bars[mid] as { readonly t: number }).t <= tSeconds) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  const start = (bars[lo] as { readonly t: number }).t;
  return lo === bars.length - 1 ? start + Math.floor((tSeconds - start) / size) * size : start;
}

/**
 * Re-times time-ordered points onto buckets of `bucketSeconds`, the last point of each
 * bucket winning at the bucket's start: the same fold as `put`, at a coarser
 * resolution. With 1-second buckets this is the identity.
 */
export function foldToBuckets<P extends TimePoint>(points: readonly P[], grid: BarGrid): P[] {
  const out: P[] = [];
  for (const point of points) {
    const time = bucketStart(point.time, grid);
    const folded = time === point.time ? point : { ...point, time };
    const last = out.at(-1);
    if (last !== undefined && last.time === time) {
      out[out.length - 1] = folded;
    } else if (last === undefined || last.time < time) {
      out.push(folded);
    }
  }
  return out;
}
