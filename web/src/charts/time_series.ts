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

/** Start of the `bucketSeconds` bucket holding `tSeconds` (buckets aligned to the epoch). */
export function bucketStart(tSeconds: number, bucketSeconds: number): number {
  const size = Math.max(1, Math.floor(bucketSeconds));
  return Math.floor(tSeconds / size) * size;
}

/** The candle time of an event at `tMs` on a `tfSeconds` timeframe. */
export function bucketOfMs(tMs: number, tfSeconds: number): number {
  return bucketStart(secondOf(tMs), tfSeconds);
}

/**
 * Re-times time-ordered points onto buckets of `bucketSeconds`, the last point of each
 * bucket winning at the bucket's start: the same fold as `put`, at a coarser
 * resolution. With 1-second buckets this is the identity.
 */
export function foldToBuckets<P extends TimePoint>(points: readonly P[], bucketSeconds: number): P[] {
  const out: P[] = [];
  for (const point of points) {
    const time = bucketStart(point.time, bucketSeconds);
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
