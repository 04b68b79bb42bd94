// The sidebar's model, kept DOM-free: the watchlist (symbol, last price, change since
// the day's open, the last minute of smoothed intensity for a sparkline, whether the
// symbol is in a spike right now) and the live feed of spikes and reversals across all
// symbols, newest first, bounded and de-duplicated.

import type { CandleEvent, IndicatorEvent, SymbolInfo } from '../net/protocol';

export interface WatchRow {
  readonly symbol: string;
  readonly decimals: number;
  readonly last: number | null;
  readonly changePct: number | null;
  readonly inSpike: boolean;
  /** Smoothed intensity, one value per second (the last of it), oldest first. */
  readonly spark: readonly number[];
}

export interface FeedEntry {
  readonly key: string;
  readonly symbol: string;
  readonly tMs: number;
  readonly kind: 'spike' | 'reversal';
  /** +1 buy, -1 sell (reversals); spikes have none. */
  readonly direction: 1 | -1 | null;
  readonly text: string;
}

export interface Quote {
  readonly symbol: string;
  readonly last: number | null;
  readonly changePct: number | null;
}

export const kFeedSize = 50;
/** Seconds of intensity in a sparkline. */
export const kSparkSeconds = 60;

/**
 * The `points` of an SVG polyline drawing `values` (oldest first) across a
 * `width` × `height` box, scaled from the smallest to the largest value; "" for
 * fewer than two values.
 */
export function sparklinePoints(values: readonly number[], width: number, height: number): string {
  if (values.length < 2) {
    return '';
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const span = hi - lo || 1;
  const step = width / (values.length - 1);
  return values.map((v, i) => `${(i * step).toFixed(1)},${(height - ((v - lo) / span) * height).toFixed(1)}`).join(' ');
}

/** Reads `/api/symbols` (docs/PROTOCOL.md "HTTP"); rows it cannot read are left out. */
export function parseQuotes(json: unknown): Quote[] {
  if (typeof json !== 'object' || json === null) {
    return [];
  }
  const symbols = (json as { readonly symbols?: unknown }).symbols;
  if (!Array.isArray(symbols)) {
    return [];
  }
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const out: Quote[] = [];
  for (const row of symbols as unknown[]) {
    if (typeof row === 'object' && row !== null) {
      const r = row as { readonly [key: string]: unknown };
      if (typeof r['symbol'] === 'string') {
        out.push({ symbol: r['symbol'], last: num(r['last']), changePct: num(r['change_pct']) });
      }
    }
  }
  return out;
}

export class Watchlist {
  private rows_: WatchRow[] = [];
  private feed_: FeedEntry[] = [];
  private readonly feedKeys = new Set<string>();
  private version_ = 0;
  private feedVersion_ = 0;
  /**
   * Per symbol: the newest spike start and end seen, as (t_ms, seq). The dot shows
   * while the newest start is newer than the newest end, whatever order they came in
   * (a snapshot or a refill brings old ones after live ones).
   */
  private readonly spikeEdges = new Map<string, { start: readonly [number, number] | null; end: readonly [number, number] | null }>();
  /** Per symbol: the second of the last sparkline value. */
  private readonly sparkSecond = new Map<string, number>();

  /** Grows on every change: the view redraws when it differs from what it drew. */
  version(): number {
    return this.version_;
  }

  rows(): readonly WatchRow[] {
    return this.rows_;
  }

  /** Grows when the feed changes (the watchlist rows change far more often). */
  feedVersion(): number {
    return this.feedVersion_;
  }

  feed(): readonly FeedEntry[] {
    return this.feed_;
  }

  setSymbols(symbols: readonly SymbolInfo[]): void {
    const old = new Map(this.rows_.map((r) => [r.symbol, r]));
    this.rows_ = symbols.map(
      (s) =>
        old.get(s.symbol) ?? { symbol: s.symbol, decimals: s.decimals, last: null, changePct: null, inSpike: false, spark: [] },
    );
    this.version_ += 1;
  }

  applyQuotes(quotes: readonly Quote[]): void {
    const bySymbol = new Map(quotes.map((q) => [q.symbol, q]));
    this.rows_ = this.rows_.map((r) => {
      const q = bySymbol.get(r.symbol);
      return q === undefined ? r : { ...r, last: q.last ?? r.last, changePct: q.changePct ?? r.changePct };
    });
    this.version_ += 1;
  }

  /** A live candle of a chart: its close is the symbol's last price. */
  applyCandle(event: CandleEvent): void {
    this.update(event.symbol, (r) => (r.last === event.c ? r : { ...r, last: event.c }));
  }

  applyEvent(event: IndicatorEvent): void {
    switch (event.type) {
      case 'intensity':
      case 'intensity_sample':
        if (event.value !== null) {
          this.applyIntensity(event.symbol, event.t_ms, event.value);
        }
        return;
      case 'spike_start':
        this.applySpikeEdge(event.symbol, 'start', event.t_ms, event.seq);
        this.addFeed({
          key: `${event.symbol}:spikes:${event.seq}:${event.t_ms}`,
          symbol: event.symbol,
          tMs: event.t_ms,
          kind: 'spike',
          direction: null,
          text: `spike z ${event.z.toFixed(1)} @ ${event.price}`,
        });
        return;
      case 'spike_end':
        this.applySpikeEdge(event.symbol, 'end', event.t_ms, event.seq);
        return;
      case 'reversal':
        this.addFeed({
          key: `${event.symbol}:reversals:${event.seq}:${event.t_ms}`,
          symbol: event.symbol,
          tMs: event.t_ms,
          kind: 'reversal',
          direction: event.direction,
          text: `v${event.version} ${event.direction > 0 ? 'BUY' : 'SELL'} @ ${event.price} · ${event.reason} · ${event.strength}`,
        });
        return;
      default:
        return;
    }
  }

  private applySpikeEdge(symbol: string, edge: 'start' | 'end', tMs: number, seq: number): void {
    const edges = this.spikeEdges.get(symbol) ?? { start: null, end: null };
    const known = edges[edge];
    if (known === null || tMs > known[0] || (tMs === known[0] && seq > known[1])) {
      edges[edge] = [tMs, seq];
    }
    this.spikeEdges.set(symbol, edges);
    const { start, end } = edges;
    const inSpike = start !== null && (end === null || start[0] > end[0] || (start[0] === end[0] && start[1] > end[1]));
    this.update(symbol, (r) => (r.inSpike === inSpike ? r : { ...r, inSpike }));
  }

  /** One intensity value (any smoother the page shows) into the symbol's sparkline. */
  private applyIntensity(symbol: string, tMs: number, value: number): void {
    const second = Math.floor(tMs / 1000);
    const last = this.sparkSecond.get(symbol);
    if (last !== undefined && second < last) {
      return; // older than the sparkline's end (a snapshot after live values)
    }
    this.sparkSecond.set(symbol, second);
    this.update(symbol, (r) => {
      const spark = second === last ? [...r.spark.slice(0, -1), value] : [...r.spark, value];
      return { ...r, spark: spark.length > kSparkSeconds ? spark.slice(spark.length - kSparkSeconds) : spark };
    });
  }

  private update(symbol: string, change: (row: WatchRow) => WatchRow): void {
    const index = this.rows_.findIndex((r) => r.symbol === symbol);
    const row = this.rows_[index];
    if (row === undefined) {
      return;
    }
    const next = change(row);
    if (next !== row) {
      this.rows_[index] = next;
      this.version_ += 1;
    }
  }

  /** Newest first by time; a history snapshot may deliver older entries after newer ones. */
  private addFeed(entry: FeedEntry): void {
    if (this.feedKeys.has(entry.key)) {
      return;
    }
    let i = 0;
    while (i < this.feed_.length && (this.feed_[i] as FeedEntry).tMs > entry.tMs) {
      i += 1;
    }
    if (i >= kFeedSize) {
      return;
    }
    this.feed_.splice(i, 0, entry);
    this.feedKeys.add(entry.key);
    for (const dropped of this.feed_.splice(kFeedSize)) {
      this.feedKeys.delete(dropped.key);
    }
    this.version_ += 1;
    this.feedVersion_ += 1;
  }
}
