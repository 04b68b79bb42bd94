// The bars of one chart channel, kept DOM-free: applies a snapshot (or a resumed one)
// and then candle updates, says what the chart series must do for each, counts gaps in
// the `seq` of closed candles (docs/PROTOCOL.md "Channels and streams") and takes
// closed candles fetched over REST into their place. Time is monotonic before anything
// reaches the chart: an update older than the last bar is merged into the bar it
// belongs to (closed candles) or dropped and counted.

import type { CandleRefill, CandleSnapshot } from '../bus/topics';
import type { Candle, CandleEvent } from '../net/protocol';

/** A candle channel: (symbol, timeframe). */
export interface CandleChannel {
  readonly symbol: string;
  readonly tf: string;
}

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
  readonly channel: CandleChannel;
  private readonly maxBars: number;
  private bars_: Candle[] = [];
  private hasSnapshot = false;
  private lastClosedSeq: number | null = null;
  private gaps_ = 0;
  private missed_ = 0;
  private dropped_ = 0;
  private replaced_ = 0;
  /** Closed seqs known to be missing and not filled yet, as inclusive ranges. */
  private holes_: [number, number][] = [];
  private merged_ = 0;

  constructor(channel: CandleChannel, maxBars: number = kDefaultMaxBars) {
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

  /**
   * Closed candles missing right now: skipped seqs not yet filled by a refill (or by a
   * late close). Falls back to 0 once every hole is filled; gaps() and missed() keep
   * counting what was ever seen.
   */
  missing(): number {
    return this.holes_.reduce((sum, [from, to]) => sum + to - from + 1, 0);
  }

  /** Bars the last snapshot kept from before its first bar (0: it replaced everything). */
  mergedOnSnapshot(): number {
    return this.merged_;
  }

  /** Updates dropped because they were older than what is shown. */
  dropped(): number {
    return this.dropped_;
  }

  ready(): boolean {
    return this.hasSnapshot;
  }

  matches(channel: CandleChannel): boolean {
    return channel.symbol === this.channel.symbol && channel.tf === this.channel.tf;
  }

  /**
   * Takes the snapshot: the first one starts the channel; a later fresh one keeps the
   * bars older than its own (see below); a resumed snapshot (after a reconnect)
   * continues what is held instead. Returns false if it is another channel's.
   */
  applySnapshot(snapshot: CandleSnapshot): boolean {
    if (!this.matches(snapshot)) {
      return false;
    }
    if (snapshot.resume && this.hasSnapshot) {
      for (const candle of snapshot.candles) {
        this.apply(candle);
      }
      if (snapshot.current !== null) {
        this.apply(snapshot.current);
      }
      return true;
    }
    const bars: Candle[] = [];
    let previousSeq: number | null = null;
    const lastSeq = snapshot.current !== null ? Math.min(snapshot.last_seq, snapshot.current.seq - 1) : snapshot.last_seq;
    // The server numbers the channel from scratch (it lost its history): what is held
    // belongs to the old numbering and cannot be continued.
    const renumbered = this.lastClosedSeq !== null && lastSeq < this.lastClosedSeq;
    if (renumbered) {
      this.holes_ = [];
    }
    for (const candle of snapshot.candles) {
      pushIfNewer(bars, toCandle(candle));
      this.fillHole(candle.seq);
      if (previousSeq !== null && candle.seq > previousSeq + 1) {
        this.addHole(previousSeq + 1, candle.seq - 1);
      }
      previousSeq = previousSeq === null ? candle.seq : Math.max(previousSeq, candle.seq);
    }
    if (previousSeq !== null) {
      this.addHole(previousSeq + 1, lastSeq);
    }
    const lastClosed = bars.at(-1);
    if (snapshot.current !== null) {
      pushIfNewer(bars, toCandle(snapshot.current));
    }
    // A fresh snapshot of a channel already held (another chart opened it, which asks
    // the server again) is merged: the bars before its first one stay, so the history
    // scrolled back into is not lost.
    const firstNew = bars[0];
    let keep = this.hasSnapshot && !renumbered && firstNew !== undefined ? lowerBound(this.bars_, firstNew.t) : 0;
    if (keep > 0 && (this.bars_[keep - 1] as Candle).seq !== (firstNew as Candle).seq - 1) {
      keep = 0; // a hole between what is held and the snapshot: start afresh
    }
    this.bars_ = keep > 0 ? [...this.bars_.slice(0, keep), ...bars] : bars;
    this.merged_ = keep;
    this.trim();
    this.hasSnapshot = true;
    // Gap counters survive a re-snapshot: they count what was observed on this channel.
    if (lastClosed !== undefined) {
      this.lastClosedSeq = Math.max(lastClosed.seq, snapshot.last_seq);
    } else if (snapshot.current !== null) {
      this.lastClosedSeq = snapshot.current.seq - 1;
    } else {
      this.lastClosedSeq = snapshot.last_seq > 0 ? snapshot.last_seq : null;
    }
    return true;
  }

  /**
   * Puts older closed candles (scroll-back history) before the first bar, as many as
   * the bound leaves room for; returns how many were added.
   */
  prepend(candles: readonly Candle[]): number {
    const first = this.bars_[0];
    if (first === undefined) {
      return 0;
    }
    const older: Candle[] = [];
    for (const candle of [...candles].sort((a, b) => a.t - b.t)) {
      if (candle.t < first.t) {
        pushIfNewer(older, toCandle(candle));
      }
    }
    const room = Math.max(0, this.maxBars - this.bars_.length);
    const taken = older.slice(Math.max(0, older.length - room));
    this.bars_ = [...taken, ...this.bars_];
    return taken.length;
  }

  /**
   * Takes closed candles fetched to fill a hole into their places (they are usually
   * older than the last bar). True if any bar was added or replaced: the chart then
   * sets its series again.
   */
  refill(refill: CandleRefill): boolean {
    if (!this.matches(refill) || !this.hasSnapshot) {
      return false;
    }
    let changed = false;
    for (const event of refill.candles) {
      const bar = toCandle(event);
      // A filled hole is a change even when the bar was already shown (its last update in
      // progress had the values it closed with): the chart then says it is no longer missing.
      if (event.closed && this.fillHole(bar.seq)) {
        changed = true;
      }
      const first = this.bars_[0];
      if (first !== undefined && bar.t < first.t) {
        continue; // older than what is kept
      }
      const index = lowerBound(this.bars_, bar.t);
      const at = this.bars_[index];
      if (at !== undefined && at.t === bar.t) {
        // A revision may change any of them (a replaced trade of the same size moves only
        // the high or the low), so all are compared.
        if (at.seq === bar.seq && at.n === bar.n && at.o === bar.o && at.h === bar.h && at.l === bar.l && at.c === bar.c && at.v === bar.v) {
          continue;
        }
        this.bars_[index] = bar;
      } else {
        this.bars_.splice(index, 0, bar);
      }
      changed = true;
    }
    if (changed) {
      this.trim();
    }
    return changed;
  }

  apply(event: CandleEvent): BufferChange {
    if (!this.matches(event)) {
      return ignored('other_channel');
    }
    if (!this.hasSnapshot) {
      return ignored('no_snapshot');
    }
    const bar = toCandle(event);
    if (event.closed && event.revised === true) {
      // A trade correction changed a closed bar (docs/PROTOCOL.md "Revised candles"):
      // replace the bar of that seq where it is; one no longer kept is left alone.
      const index = lowerBound(this.bars_, bar.t);
      const at = this.bars_[index];
      if (at === undefined || at.t !== bar.t || at.seq !== bar.seq) {
        return ignored('stale');
      }
      this.bars_[index] = bar;
      return index === this.bars_.length - 1 ? { kind: 'last', bar } : { kind: 'historical', bar };
    }
    if (event.closed) {
      if (this.lastClosedSeq !== null) {
        if (bar.seq <= this.lastClosedSeq) {
          this.dropped_ += 1;
          return ignored('duplicate');
        }
        if (bar.seq > this.lastClosedSeq + 1) {
          this.gaps_ += 1;
          this.missed_ += bar.seq - this.lastClosedSeq - 1;
          this.addHole(this.lastClosedSeq + 1, bar.seq - 1);
        }
      }
      this.lastClosedSeq = bar.seq;
      return this.place(bar, true);
    }
    if (this.lastClosedSeq !== null && bar.seq <= this.lastClosedSeq) {
      // A display update for a candle that has since closed: the closed values win.
      this.dropped_ += 1;
      return ignored('stale');
    }
    return this.place(bar, false);
  }

  private place(bar: Candle, closed: boolean): BufferChange {
    const last = this.bars_.at(-1);
    if (last !== undefined && bar.t > last.t && last.seq >= bar.seq) {
      // A later bar with the last bar's number: the last was a bar in progress that never
      // closed (the server restarted without it; apply() already turned away repeated
      // closes and stale updates). It was display-only, so the later bar replaces it.
      // Lightweight Charts cannot move a bar's time, hence a reset.
      this.bars_[this.bars_.length - 1] = bar;
      this.replaced_ += 1;
      return { kind: 'reset' };
    }
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
      this.dropped_ += 1;
      return ignored('stale');
    }
    const index = indexOfTime(this.bars_, bar.t);
    if (index < 0) {
      this.dropped_ += 1;
      return ignored('stale');
    }
    this.bars_[index] = bar;
    return { kind: 'historical', bar };
  }

  /** Bars in progress replaced by a later bar with their number (a restart forgot them). */
  get replaced(): number {
    return this.replaced_;
  }

  private addHole(from: number, to: number): void {
    if (to >= from) {
      this.holes_.push([from, to]);
    }
  }

  /** A closed candle of `seq` arrived: it no longer counts as missing. True when it did. */
  private fillHole(seq: number): boolean {
    if (this.holes_.length === 0) {
      return false;
    }
    let filled = false;
    const next: [number, number][] = [];
    for (const [from, to] of this.holes_) {
      if (seq < from || seq > to) {
        next.push([from, to]);
        continue;
      }
      filled = true;
      if (from < seq) {
        next.push([from, seq - 1]);
      }
      if (seq < to) {
        next.push([seq + 1, to]);
      }
    }
    this.holes_ = next;
    return filled;
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

function toCandle(event: Candle): Candle {
  return { t: event.t, o: event.o, h: event.h, l: event.l, c: event.c, v: event.v, n: event.n, seq: event.seq };
}

/** The first index whose bar is not older than `t`. */
function lowerBound(bars: readonly Candle[], t: number): number {
  let lo = 0;
  let hi = bars.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((bars[mid] as Candle).t < t) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
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
