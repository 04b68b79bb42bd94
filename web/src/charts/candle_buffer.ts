// The bars of one chart channel, kept DOM-free: applies a snapshot and then candle
// updates, says what the chart series must do for each, and counts gaps in the `seq`
// of closed candles (docs/PROTOCOL.md, "Candle fields").

import type { Candle, CandleEvent, Channel, SnapshotMessage } from '../net/protocol';

/** What the chart must do after an update. */
export type BufferChange =
  | { readonly kind: 'ignored'; readonly reason: IgnoreReason }
  /** Replace the last bar or add one after it (`series.update(bar)`). */
  | { readonly kind: 'last'; readonly bar: Candle }
  /** Replace an older bar in place (`series.update(bar, true)`). */
  | { readonly kind: 'historical'; readonly bar: Candle }
  /** Old bars were dropped to bound memory: set the whole series again. */
  | { readonly kind: 'reset' };

export type IgnoreReason =
  | 'other_channel' // not this buffer's (symbol, tf)
  | 'no_snapshot' // arrived before the snapshot that starts the channel
  | 'stale' // an in-progress update older than what is shown
  | 'duplicate'; // a closed candle whose seq was already closed

export const kDefaultMaxBars = 5_000;

export class CandleBuffer {
  readonly channel: Channel;
  private readonly maxBars: number;
  private bars_: Candle[] = [];
  private hasSnapshot = false;
  private lastClosedSeq: number | null = null;
  private gaps_ = 0;
  private missed_ = 0;

  constructor(channel: Channel, maxBars: number = kDefaultMaxBars) {
    this.channel = { symbol: channel.symbol, tf: channel.tf };
    this.maxBars = Math.max(1, Math.floor(maxBars));
  }

  /** Bars oldest first, strictly increasing in `t`. */
  bars(): readonly Candle[] {
    return this.bars_;
  }

  last(): Candle | null {
    return this.bars_.at(-1) ?? null;
  }

  /** Times closed candles skipped at least one `seq`. */
  gaps(): number {
    return this.gaps_;
  }

  /** Closed candles known to be missing (sum of the skipped `seq`s). */
  missed(): number {
    return this.missed_;
  }

  ready(): boolean {
    return this.hasSnapshot;
  }

  matches(channel: Channel): boolean {
    return channel.symbol === this.channel.symbol && channel.tf === this.channel.tf;
  }

  /** Replaces everything with the snapshot; returns false if it is another channel's. */
  applySnapshot(snapshot: SnapshotMessage): boolean {
    if (!this.matches(snapshot)) {
      return false;
    }
    const bars: Candle[] = [];
    for (const candle of snapshot.candles) {
      pushIfNewer(bars, candle);
    }
    const lastClosed = bars.at(-1);
    if (snapshot.current !== null) {
      pushIfNewer(bars, snapshot.current);
    }
    this.bars_ = bars;
    this.trim();
    this.hasSnapshot = true;
    // Gap counters survive a re-snapshot (e.g. after a reconnect): they count what
    // was observed on this channel, and the snapshot refills the history anyway.
    if (lastClosed !== undefined) {
      this.lastClosedSeq = lastClosed.seq;
    } else if (snapshot.current !== null) {
      this.lastClosedSeq = snapshot.current.seq - 1;
    } else {
      this.lastClosedSeq = null;
    }
    return true;
  }

  apply(event: CandleEvent): BufferChange {
    if (!this.matches(event)) {
      return ignored('other_channel');
    }
    if (!this.hasSnapshot) {
      return ignored('no_snapshot');
    }
    const bar = toCandle(event);
    if (event.closed) {
      if (this.lastClosedSeq !== null) {
        if (bar.seq <= this.lastClosedSeq) {
          return ignored('duplicate');
        }
        if (bar.seq > this.lastClosedSeq + 1) {
          this.gaps_ += 1;
          this.missed_ += bar.seq - this.lastClosedSeq - 1;
        }
      }
      this.lastClosedSeq = bar.seq;
      return this.place(bar, true);
    }
    if (this.lastClosedSeq !== null && bar.seq <= this.lastClosedSeq) {
      // A display update for a candle that has since closed: the closed values win.
      return ignored('stale');
    }
    return this.place(bar, false);
  }

  private place(bar: Candle, closed: boolean): BufferChange {
    const last = this.bars_.at(-1);
    if (last === undefined || bar.t > last.t) {
      this.bars_.push(bar);
      return this.trim() ? { kind: 'reset' } : { kind: 'last', bar };
    }
    if (bar.t === last.t) {
      this.bars_[this.bars_.length - 1] = bar;
      return { kind: 'last', bar };
    }
    // Older than the last bar: only the final values of a bar we still hold matter.
    if (!closed) {
      return ignored('stale');
    }
    const index = indexOfTime(this.bars_, bar.t);
    if (index < 0) {
      return ignored('stale');
    }
    this.bars_[index] = bar;
    return { kind: 'historical', bar };
  }

  /** Drops the oldest bars past `maxBars` (down to 90 % so resets stay rare). */
  private trim(): boolean {
    if (this.bars_.length <= this.maxBars) {
      return false;
    }
    const keep = Math.max(1, Math.floor(this.maxBars * 0.9));
    this.bars_ = this.bars_.slice(this.bars_.length - keep);
    return true;
  }
}

function ignored(reason: IgnoreReason): BufferChange {
  return { kind: 'ignored', reason };
}

function toCandle(event: CandleEvent): Candle {
  return { t: event.t, o: event.o, h: event.h, l: event.l, c: event.c, v: event.v, n: event.n, seq: event.seq };
}

/** Keeps `bars` strictly increasing in time (a chart series rejects anything else). */
function pushIfNewer(bars: Candle[], candle: Candle): void {
  const last = bars.at(-1);
  if (last === undefined || candle.t > last.t) {
    bars.push(candle);
  } else if (candle.t === last.t) {
    bars[bars.length - 1] = candle;
  }
}

function indexOfTime(bars: readonly Candle[], t: number): number {
  let lo = 0;
  let hi = bars.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const midT = (bars[mid] as Candle).t;
    if (midT === t) {
      return mid;
    }
    if (midT < t) {
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return -1;
}
