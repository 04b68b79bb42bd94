import { describe, expect, it } from 'vitest';
import {
  chartCount,
  jsonToDraft,
  pickDraft,
  queryToDraft,
  resolveScreen,
  screenToJson,
  screenToQuery,
  visibleCharts,
  withChart,
  withFocus,
  withLayout,
  type Offer,
} from '../src/ui/layout';
import { Watchlist, kFeedSize, kSparkSeconds, parseQuotes, sparklinePoints } from '../src/ui/watchlist';
import type { IndicatorEvent } from '../src/net/protocol';

const offer: Offer = { symbols: ['ALFA', 'BRVO', 'CHRL'], timeframes: ['1s', '10s', '1m', '5m', '1h'] };

describe('layout', () => {
  it('counts the charts of each layout', () => {
    expect(['1', '2', '4', '1+3'].map((l) => chartCount(l as '1'))).toEqual([1, 2, 4, 4]);
  });

  it('opens one chart of the first symbol on 1s by default, the others spread over symbols', () => {
    const screen = resolveScreen(null, offer);
    expect(screen).toEqual({
      layout: '1',
      charts: [
        { symbol: 'ALFA', tf: '1s' },
        { symbol: 'BRVO', tf: '10s' },
        { symbol: 'CHRL', tf: '1m' },
        { symbol: 'ALFA', tf: '5m' },
      ],
      focus: 0,
      smoother: 'ema',
    });
    expect(resolveScreen(null, { symbols: [], timeframes: ['1s'] })).toBeNull();
  });

  it('round-trips through the URL query', () => {
    const base = resolveScreen(null, offer);
    if (base === null) {
      throw new Error('no screen');
    }
    const screen = withFocus(withChart(withLayout(base, '4'), 2, { symbol: 'BRVO', tf: '1h' }), 2);
    const query = screenToQuery(screen);
    expect(query).toBe('layout=4&charts=ALFA%3A1s%2CBRVO%3A10s%2CBRVO%3A1h%2CALFA%3A5m&focus=2&smoother=ema');
    expect(resolveScreen(queryToDraft(`?${query}`), offer)).toEqual(screen);
    expect(queryToDraft('?foo=1')).toBeNull();
  });

  it('round-trips through storage and ignores what it cannot read', () => {
    const base = resolveScreen({ layout: '1+3', smoother: 'zlma', focus: 3 }, offer);
    if (base === null) {
      throw new Error('no screen');
    }
    expect(resolveScreen(jsonToDraft(screenToJson(base)), offer)).toEqual(base);
    expect(jsonToDraft('not json')).toBeNull();
    expect(jsonToDraft('[1]')).toBeNull();
    expect(jsonToDraft(null)).toBeNull();
    expect(jsonToDraft('{"layout":"9","charts":[5,{"symbol":"ALFA"}]}')).toEqual({ layout: '9', charts: [null, null] });
  });

  it('falls back for what the server no longer offers', () => {
    const screen = resolveScreen({ layout: '7', charts: [{ symbol: 'GONE', tf: '1s' }, { symbol: 'CHRL', tf: '3d' }], focus: 3, smoother: 'wma' }, offer, 'sma');
    expect(screen?.layout).toBe('1');
    expect(screen?.charts[0]).toEqual({ symbol: 'ALFA', tf: '1s' });
    expect(screen?.charts[1]).toEqual({ symbol: 'CHRL', tf: '10s' });
    expect(screen?.focus).toBe(0); // chart 3 is not shown in layout 1
    expect(screen?.smoother).toBe('sma');
  });

  it('prefers the URL to storage, keeps hidden charts and moves the focus into the layout', () => {
    expect(pickDraft({ layout: '2' }, { layout: '4' })).toEqual({ layout: '2' });
    expect(pickDraft(null, { layout: '4' })).toEqual({ layout: '4' });
    const four = resolveScreen({ layout: '4', focus: 3 }, offer);
    if (four === null) {
      throw new Error('no screen');
    }
    const two = withLayout(four, '2');
    expect(two.focus).toBe(0);
    expect(visibleCharts(two)).toHaveLength(2);
    expect(two.charts).toEqual(four.charts);
    expect(withFocus(two, 3)).toBe(two);
  });
});

describe('Watchlist', () => {
  const symbols = [
    { symbol: 'ALFA', tick_size: 0.01, decimals: 2 },
    { symbol: 'BRVO', tick_size: 0.01, decimals: 2 },
  ];
  const spike = (symbol: string, seq: number, tMs: number): IndicatorEvent => ({
    type: 'spike_start',
    symbol,
    stream: 'spikes',
    seq,
    tick_seq: seq,
    t_ms: tMs,
    intensity: 1,
    z: 3.44,
    price: 101.25,
  });

  it('keeps last price and change from /api/symbols and live candles', () => {
    const list = new Watchlist();
    list.setSymbols(symbols);
    list.applyQuotes(parseQuotes({ symbols: [{ symbol: 'ALFA', last: 101.25, change: 0.35, change_pct: 0.35 }, { symbol: 'BRVO', last: null, change_pct: null }, { bad: 1 }] }));
    expect(list.rows().map((r) => [r.symbol, r.last, r.changePct])).toEqual([
      ['ALFA', 101.25, 0.35],
      ['BRVO', null, null],
    ]);
    list.applyCandle({ type: 'candle', symbol: 'BRVO', stream: 'candles:1s', tf: '1s', closed: false, seq: 1, t: 1, o: 5, h: 5, l: 5, c: 5.5, v: 1, n: 1 });
    expect(list.rows()[1]?.last).toBe(5.5);
    expect(parseQuotes('nope')).toEqual([]);
  });

  it('shows a dot while a symbol is in a spike and feeds spikes and reversals newest first, once each', () => {
    const list = new Watchlist();
    list.setSymbols(symbols);
    list.applyEvent(spike('ALFA', 1, 2000));
    expect(list.rows()[0]?.inSpike).toBe(true);
    list.applyEvent({ type: 'reversal', symbol: 'BRVO', stream: 'reversals', seq: 4, tick_seq: 9, t_ms: 3000, version: 2, direction: -1, price: 7, reason: 'extreme_retrace', strength: 6 });
    list.applyEvent(spike('ALFA', 1, 2000)); // again: not twice
    list.applyEvent(spike('BRVO', 1, 1000)); // older, from a snapshot: below
    expect(list.feed().map((e) => `${e.symbol} ${e.text}`)).toEqual(['BRVO v2 SELL @ 7 · extreme_retrace · 6', 'ALFA spike z 3.4 @ 101.25', 'BRVO spike z 3.4 @ 101.25']);
    list.applyEvent({ ...spike('ALFA', 2, 2500), type: 'spike_end', t_start_ms: 2000, t_peak_ms: 2200, t_end_ms: 2500, peak_intensity: 1, peak_z: 4, ticks: 3, price_start: 1, price_end: 2 } as IndicatorEvent);
    expect(list.rows()[0]?.inSpike).toBe(false);
  });

  it('decides the spike dot by the newest start and end, not by the order they arrive in', () => {
    const list = new Watchlist();
    list.setSymbols(symbols);
    const end = (seq: number, tMs: number): IndicatorEvent =>
      ({ ...spike('ALFA', seq, tMs), type: 'spike_end', t_start_ms: tMs - 500, t_peak_ms: tMs - 200, t_end_ms: tMs, peak_intensity: 1, peak_z: 4, ticks: 3, price_start: 1, price_end: 2 }) as IndicatorEvent;
    list.applyEvent(spike('ALFA', 5, 9000)); // live: in a spike
    list.applyEvent(spike('ALFA', 1, 1000)); // refilled history: an old spike...
    list.applyEvent(end(2, 1500)); // ...and its end: the live spike still runs
    expect(list.rows()[0]?.inSpike).toBe(true);
    list.applyEvent(end(6, 9800));
    expect(list.rows()[0]?.inSpike).toBe(false);
    list.applyEvent(spike('ALFA', 3, 4000)); // another old start, refilled late
    expect(list.rows()[0]?.inSpike).toBe(false);
  });

  it('keeps a minute of intensity per symbol for the sparkline, the last value of each second', () => {
    const list = new Watchlist();
    list.setSymbols(symbols);
    const intensity = (symbol: string, tMs: number, value: number | null): IndicatorEvent =>
      ({ type: 'intensity', symbol, stream: 'intensity:ema', tick_seq: tMs, t_ms: tMs, raw: 1, smoother: 'ema', value }) as IndicatorEvent;
    list.applyEvent(intensity('ALFA', 1000, 5));
    list.applyEvent(intensity('ALFA', 1500, 6)); // same second: replaces
    list.applyEvent(intensity('ALFA', 2000, 7));
    list.applyEvent(intensity('ALFA', 500, 1)); // older: ignored
    list.applyEvent(intensity('ALFA', 3000, null)); // warming up: ignored
    expect(list.rows()[0]?.spark).toEqual([6, 7]);
    expect(list.rows()[1]?.spark).toEqual([]);
    for (let s = 3; s < 3 + kSparkSeconds; s += 1) {
      list.applyEvent(intensity('ALFA', s * 1000, s));
    }
    expect(list.rows()[0]?.spark).toHaveLength(kSparkSeconds);
    expect(list.rows()[0]?.spark[0]).toBe(3);
  });

  it('draws a sparkline from the lowest to the highest value', () => {
    expect(sparklinePoints([1], 10, 10)).toBe('');
    expect(sparklinePoints([0, 5, 10], 20, 10)).toBe('0.0,10.0 10.0,5.0 20.0,0.0');
    expect(sparklinePoints([3, 3], 10, 4)).toBe('0.0,4.0 10.0,4.0');
  });

  it('keeps the feed bounded', () => {
    const list = new Watchlist();
    list.setSymbols(symbols);
    for (let i = 1; i <= kFeedSize + 10; i += 1) {
      list.applyEvent(spike('ALFA', i, i * 1000));
    }
    expect(list.feed()).toHaveLength(kFeedSize);
    expect(list.feed()[0]?.tMs).toBe((kFeedSize + 10) * 1000);
  });
});
