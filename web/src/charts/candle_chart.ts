// One chart instance, fed from the bus for one (symbol, tf) channel at a time:
//  - pane 0 (about 65 %): candlesticks with BUY/SELL reversal markers, and the volume
//    histogram in the bottom fifth with its ZLMA line (`vol_zlma` of closed candles);
//  - pane 1 (about 35 %): the intensity pane (IntensityPane).
// Bar bookkeeping lives in CandleBuffer, indicator bookkeeping in IndicatorState; this
// file only wires them to Lightweight Charts and the DOM.
//
// Drawing is once per frame: live updates are queued per series (the last value per
// bar, LatestPerTime) and markers are marked dirty; on the bus's `frame_end` each
// touched bar gets one `update()` and each dirty marker set one `setMarkers()`
// (Lightweight Charts repaints every marker on each call).

import {
  CandlestickSeries,
  ColorType,
  CrosshairMode,
  HistogramSeries,
  LineSeries,
  createChart,
  createSeriesMarkers,
  createTextWatermark,
  type CandlestickData,
  type HistogramData,
  type IChartApi,
  type ISeriesApi,
  type ISeriesMarkersPluginApi,
  type ITextWatermarkPluginApi,
  type LineData,
  type Time,
  type UTCTimestamp,
} from 'lightweight-charts';
import type { AppBus, CandleRefill, CandleSnapshot } from '../bus/topics';
import type { Candle, CandleEvent, ReversalEvent, Smoother, SpikeEndEvent, SpikeStartEvent } from '../net/protocol';
import { CandleBuffer, kDefaultMaxBars } from './candle_buffer';
import type { ChartTheme } from './chart_theme';
import { IndicatorState, type IndicatorChange } from './indicator_state';
import { holeBadge } from './hole_badge';
import { IntensityPane } from './intensity_pane';
import type { OpenHole } from '../net/channel_sync';
import type { BandPoint, IntensityPoint } from './indicator_state';
import { LatestPerTime } from './latest_per_time';
import { ScrollBack, gotoStep } from './scroll_back';
import { reversalLabel, reversalMarkers, reversalsAt, spikeMarkers, type MarkerColours } from './markers';
import { TimeSeriesBuffer, barStartOf, bucketOfMs, bucketStart, type BarGrid, type TimePoint } from './time_series';
import { timeframeSeconds } from './timeframe';

/** Fetches up to `limit` closed candles before `beforeT` (UTC seconds), oldest first. */
export type OlderCandles = (
  symbol: string,
  tf: string,
  beforeT: number,
  limit: number,
) => Promise<{ readonly candles: readonly Candle[]; readonly more: boolean }>;

/** Fetches up to `limit` reversals and spike events of `symbol` with `t_ms` in [fromMs, toMs). */
export type OlderSignals = (
  symbol: string,
  fromMs: number,
  toMs: number,
  limit: number,
) => Promise<{ readonly reversals: readonly ReversalEvent[]; readonly spikes: readonly (SpikeStartEvent | SpikeEndEvent)[] }>;

/** Reversals listed in a tooltip at most (the newest of the bar). */
const kTooltipLines = 6;

/** Candles asked for per scroll-back page. */
const kOlderPage = 300;

/** Reversals and spike events asked for per scroll-back page (each). */
const kOlderSignalPage = 500;

/** The channel to show and how to print its prices. */
export interface ChartChannel {
  readonly symbol: string;
  readonly tf: string;
  readonly decimals: number;
  readonly tickSize: number;
}

const kVolumeScaleId = 'volume';
/** Price axis width (px): room for "12,345.67" and "146.24K" in the chart's font. */
const kPriceAxisWidth = 84;
const kCandlePane = 0;
const kIntensityPane = 1;
/** Share of the chart's height: candles and volume, then intensity. */
const kPaneStretch: readonly [number, number] = [0.65, 0.35];

interface ValuePoint extends TimePoint {
  readonly value: number;
}

export class CandleChart {
  private readonly container: HTMLElement;
  private readonly bus: AppBus;
  private readonly chart: IChartApi;
  private readonly candles: ISeriesApi<'Candlestick'>;
  private readonly volume: ISeriesApi<'Histogram'>;
  private readonly volumeZlma: ISeriesApi<'Line'>;
  private readonly reversalMarkers: ISeriesMarkersPluginApi<Time>;
  private readonly label: ITextWatermarkPluginApi<Time>;
  private readonly intensityPane: IntensityPane;
  private readonly resizeObserver: ResizeObserver;
  /** Aborted on dispose(): removes every DOM listener the chart added. */
  private readonly listeners = new AbortController();
  private readonly unsubscribers: Array<() => void>;
  private readonly maxBars: number;
  private theme: ChartTheme;
  private buffer: CandleBuffer | null = null;
  /** `vol_zlma` of the closed candles of the current channel. */
  private zlma: TimeSeriesBuffer<ValuePoint>;
  private smoother: Smoother;
  private indicators: IndicatorState | null = null;
  private reversalMarkerCount = 0;
  private spikeMarkerCount = 0;
  private publishPending = false;
  // Live updates waiting for the end of the frame (see the file comment).
  private readonly pendingCandles = new LatestPerTime<Candle>();
  private readonly pendingZlma = new LatestPerTime<ValuePoint>();
  private readonly pendingIntensity = new LatestPerTime<IntensityPoint>();
  private readonly pendingBand = new LatestPerTime<BandPoint>();
  private reversalsDirty = false;
  private spikesDirty = false;
  private indicatorsDirty = false;
  /** The newest spike start already announced (no pulse for history). */
  private pulsedSpikeSeq = -1;
  private spikePulses = 0;
  /** Where the newest live spike of this frame started (bucket time), pulsed at its end. */
  private pendingPulse: number | null = null;
  private timeRangeListener: ((range: { from: number; to: number }) => void) | null = null;
  private applyingTimeRange = false;
  /** The user's pointer is on this chart: its scrolling and zooming lead the others. */
  private userDriving = false;
  /** A time (UTC seconds) to bring into view once the channel's bars are there. */
  private pendingGoto: number | null = null;
  private readonly written = new Map<string, string>();
  /** Reversal versions drawn (all by default). */
  private versions: ReadonlySet<number> = new Set([1, 2, 3, 4]);
  private readonly tooltip: HTMLElement;
  /** Says while a hole of this chart's channels is open (or was given up). */
  private readonly holeBadge: HTMLElement;
  private holes: readonly OpenHole[] = [];
  private olderCandles: OlderCandles | null = null;
  private olderSignals: OlderSignals | null = null;
  private olderSignalsLoaded = 0;
  private crosshairListener: ((time: number | null) => void) | null = null;
  private applyingCrosshair = false;
  /** Scroll-back of the current channel: one page at a time, retried after a failure. */
  private readonly scrollBack = new ScrollBack();
  private olderLoaded = 0;
  /** Older pages loaded so far to reach `pendingGoto`. */
  private gotoPages = 0;
  private disposed = false;
  /** A full redraw waits for the next animation frame (see drawPending). */
  private redrawDeferred = false;
  private deferredRedraws = 0;
  /** Which chart of the layout this is (in `chart_state`). */
  readonly index: number;

  constructor(
    container: HTMLElement,
    bus: AppBus,
    theme: ChartTheme,
    smoother: Smoother,
    maxBars: number = kDefaultMaxBars,
    index = 0,
  ) {
    this.index = index;
    this.container = container;
    this.bus = bus;
    this.theme = theme;
    this.smoother = smoother;
    this.maxBars = maxBars;
    this.zlma = new TimeSeriesBuffer(maxBars);
    this.chart = createChart(container, {
      width: container.clientWidth,
      height: container.clientHeight,
      crosshair: { mode: CrosshairMode.Normal },
      timeScale: { timeVisible: true, secondsVisible: true, rightOffset: 4, barSpacing: 8 },
      // A price axis wide enough for its labels from the start: otherwise it widens and
      // narrows with the last price's digits, and every width change re-allocates and
      // repaints every canvas of the chart (layout thrash at live rates).
      rightPriceScale: { minimumWidth: kPriceAxisWidth },
    });
    this.candles = this.chart.addSeries(CandlestickSeries, {});
    this.candles.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.25 } });
    this.volume = this.chart.addSeries(HistogramSeries, {
      priceScaleId: kVolumeScaleId,
      priceFormat: { type: 'volume' },
      lastValueVisible: false,
      priceLineVisible: false,
    });
    this.chart.priceScale(kVolumeScaleId).applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
    this.volumeZlma = this.chart.addSeries(LineSeries, {
      priceScaleId: kVolumeScaleId,
      priceFormat: { type: 'volume' },
      lineWidth: 2,
      lastValueVisible: false,
      priceLineVisible: false,
      crosshairMarkerVisible: false,
    });
    this.reversalMarkers = createSeriesMarkers(this.candles, []);
    this.intensityPane = new IntensityPane(this.chart, kIntensityPane, theme);
    this.intensityPane.setSmoother(smoother);
    this.chart.panes().forEach((pane, index) => pane.setStretchFactor(kPaneStretch[index] ?? 0.1));
    const candlePane = this.chart.panes()[kCandlePane];
    if (candlePane === undefined) {
      throw new Error('chart: no candle pane');
    }
    this.label = createTextWatermark(candlePane, { horzAlign: 'left', vertAlign: 'top', lines: [] });
    this.applyTheme();

    // A tooltip with the reason and strength of the reversals on the hovered bar.
    this.tooltip = document.createElement('div');
    this.tooltip.className = 'chart-tooltip';
    this.tooltip.hidden = true;
    container.append(this.tooltip);
    this.holeBadge = document.createElement('div');
    this.holeBadge.className = 'hole-badge';
    this.holeBadge.hidden = true;
    container.append(this.holeBadge);
    this.chart.subscribeCrosshairMove((param) => {
      const time = typeof param.time === 'number' ? param.time : null;
      // Only the user's own pointer moves other charts' crosshairs (not one set from here).
      if (!this.applyingCrosshair) {
        this.crosshairListener?.(param.point === undefined ? null : time);
      }
      // The tooltip is for the chart under the pointer, not for a crosshair set from another.
      const events =
        time === null || param.point === undefined || this.indicators === null || this.applyingCrosshair
          ? []
          : reversalsAt(this.indicators.reversals.events(), this.barGrid, time, this.versions);
      if (events.length === 0 || param.point === undefined) {
        this.tooltip.hidden = true;
        return;
      }
      const lines = events.slice(-kTooltipLines).map((e) => {
        const line = document.createElement('div');
        line.dataset['direction'] = e.direction > 0 ? 'up' : 'down';
        line.textContent = reversalLabel(e);
        return line;
      });
      if (events.length > kTooltipLines) {
        const more = document.createElement('div');
        more.textContent = `… and ${events.length - kTooltipLines} earlier`;
        lines.unshift(more);
      }
      this.tooltip.replaceChildren(...lines);
      this.tooltip.hidden = false;
      const x = Math.min(param.point.x + 12, Math.max(0, container.clientWidth - this.tooltip.offsetWidth - 4));
      this.tooltip.style.transform = `translate(${Math.round(x)}px, ${Math.round(param.point.y + 12)}px)`;
    });

    // Scrolling near the oldest bar loads the page of candles before it.
    this.chart.timeScale().subscribeVisibleLogicalRangeChange((range) => {
      if (range !== null && range.from < 10) {
        this.loadOlder();
      }
    });

    // Time-scale sync: only the chart the user works on leads, so charts that follow
    // (and live bars moving every chart) never echo back.
    // The container outlives the chart (a layout change disposes it): its listeners go with the chart.
    const signal = this.listeners.signal;
    container.addEventListener('pointerenter', () => (this.userDriving = true), { signal });
    container.addEventListener('pointerleave', () => (this.userDriving = false), { signal });
    container.addEventListener('wheel', () => (this.userDriving = true), { passive: true, signal });
    this.chart.timeScale().subscribeVisibleTimeRangeChange((range) => {
      if (range !== null && this.userDriving && !this.applyingTimeRange && typeof range.from === 'number' && typeof range.to === 'number') {
        this.timeRangeListener?.({ from: range.from, to: range.to });
      }
    });

    this.resizeObserver = new ResizeObserver((entries) => {
      const box = entries[0]?.contentRect;
      if (box !== undefined && box.width > 0 && box.height > 0) {
        this.chart.resize(Math.floor(box.width), Math.floor(box.height));
      }
    });
    this.resizeObserver.observe(container);

    this.unsubscribers = [
      bus.on('candle_snapshot', (snapshot) => this.onSnapshot(snapshot)),
      bus.on('candle', (event) => this.onCandle(event)),
      bus.on('candle_refill', (refill) => this.onRefill(refill)),
      bus.on('stream_snapshot', (snapshot) => this.onIndicatorChange(this.indicators?.applySnapshot(snapshot), false)),
      bus.on('indicator', (event) => this.onIndicatorChange(this.indicators?.apply(event), true)),
      bus.on('frame_end', (round) => this.drawPending(`round ${round}`)),
      bus.on('sync_holes', (holes) => {
        this.holes = holes;
        this.showHoles();
      }),
    ];
    this.schedulePublish();
  }

  /**
   * Switches to another channel; bars appear when its snapshot arrives. The
   * indicators are per symbol: a new timeframe only redraws them on its time grid, a
   * new symbol starts them afresh (their snapshots follow the new subscriptions).
   */
  setChannel(channel: ChartChannel): void {
    this.buffer = new CandleBuffer(channel, this.maxBars);
    this.clearPending();
    this.scrollBack.reset();
    this.olderLoaded = 0;
    this.olderSignalsLoaded = 0;
    this.zlma = new TimeSeriesBuffer(this.maxBars);
    const seconds = timeframeSeconds(channel.tf);
    this.chart.applyOptions({
      timeScale: { timeVisible: seconds === null || seconds < 86_400, secondsVisible: seconds !== null && seconds < 60 },
    });
    this.candles.applyOptions({
      priceFormat: { type: 'price', precision: channel.decimals, minMove: channel.tickSize },
    });
    this.candles.setData([]);
    this.volume.setData([]);
    this.volumeZlma.setData([]);
    if (this.indicators?.symbol !== channel.symbol) {
      this.indicators = new IndicatorState(channel.symbol, this.smoother);
      this.pulsedSpikeSeq = -1;
    }
    this.intensityPane.setBucket(this.barGrid);
    this.applyLabel();
    this.redrawIndicators();
    this.showHoles();
    this.schedulePublish();
  }

  /** The badge over the chart while one of its channels has a hole open. */
  private showHoles(): void {
    const channel = this.buffer?.channel;
    const badge = channel === undefined ? null : holeBadge(this.holes, channel.symbol, channel.tf);
    this.holeBadge.hidden = badge === null;
    this.holeBadge.textContent = badge?.text ?? '';
    this.holeBadge.dataset['failed'] = String(badge?.failed ?? false);
    this.container.dataset['holes'] = String(badge?.missing ?? 0);
  }

  /** Shows intensity in another smoother: the line restarts from the server's next snapshot. */
  setSmoother(smoother: Smoother): void {
    this.smoother = smoother;
    this.intensityPane.setSmoother(smoother);
    if (this.indicators?.setSmoother(smoother) === true) {
      this.pendingIntensity.clear();
      this.intensityPane.showAll(this.indicators, this.firstBarTime());
    }
    this.schedulePublish();
  }

  /** Where scroll-back history comes from (none: the chart shows what the snapshot held). */
  setOlderCandles(loader: OlderCandles): void {
    this.olderCandles = loader;
  }

  /** Where the reversals and spikes under scrolled-back candles come from. */
  setOlderSignals(loader: OlderSignals): void {
    this.olderSignals = loader;
  }

  /** Scrolls to the oldest bar held (which loads the page before it). */
  scrollToOldest(): void {
    const range = this.chart.timeScale().getVisibleLogicalRange();
    const width = range === null ? 100 : range.to - range.from;
    this.chart.timeScale().setVisibleLogicalRange({ from: -2, to: width - 2 });
  }

  /** Told the time (UTC seconds) under the user's pointer, null when it leaves. */
  onCrosshairTime(listener: (time: number | null) => void): void {
    this.crosshairListener = listener;
  }

  /** Told the visible time range (UTC seconds) when the user scrolls or zooms this chart. */
  onVisibleTimeRange(listener: (range: { from: number; to: number }) => void): void {
    this.timeRangeListener = listener;
  }

  /** The time range shown (UTC seconds), null before there are bars. */
  visibleTimeRange(): { from: number; to: number } | null {
    const range = this.chart.timeScale().getVisibleRange();
    return range === null || typeof range.from !== 'number' || typeof range.to !== 'number' ? null : { from: range.from, to: range.to };
  }

  /** How many bar slots are in view (the zoom), null before there are bars. */
  visibleBars(): number | null {
    const range = this.chart.timeScale().getVisibleLogicalRange();
    return range === null ? null : range.to - range.from;
  }

  /** Shows the time range another chart shows (time-scale sync). */
  showTimeRange(range: { from: number; to: number }): void {
    if (this.buffer === null || this.buffer.bars().length === 0) {
      return;
    }
    this.applyingTimeRange = true;
    try {
      this.chart.timeScale().setVisibleRange({ from: toTime(range.from), to: toTime(range.to) });
    } catch {
      // Out of the loaded bars: this chart keeps its view.
    } finally {
      this.applyingTimeRange = false;
    }
  }

  /**
   * Brings `time` (UTC seconds) into view, about 60 bars around it (a click on a
   * signal in the feed); waits for the bars if the channel's snapshot has not come.
   */
  showTime(time: number): void {
    this.pendingGoto = time;
    this.gotoPages = 0;
    this.container.dataset['goto'] = String(time);
    this.applyGoto();
  }

  /** Puts the crosshair on the bar holding `time` (another chart's pointer), or clears it. */
  showCrosshairAt(time: number | null): void {
    const buffer = this.buffer;
    const bar = time === null || buffer === null ? undefined : barAt(buffer.bars(), bucketStart(time, this.barGrid));
    this.applyingCrosshair = true;
    try {
      if (bar === undefined) {
        this.chart.clearCrosshairPosition();
      } else {
        this.chart.setCrosshairPosition(bar.c, toTime(bar.t), this.candles);
      }
    } finally {
      this.applyingCrosshair = false;
    }
  }

  /** Scrolls back to the newest bar. */
  scrollToLatest(): void {
    this.chart.timeScale().scrollToRealTime();
  }

  /** Draws only these reversal versions (1–4). */
  setVersions(versions: ReadonlySet<number>): void {
    this.versions = new Set(versions);
    this.redrawReversals();
    this.schedulePublish();
  }

  setTheme(theme: ChartTheme): void {
    this.theme = theme;
    this.applyTheme();
    this.intensityPane.setTheme(theme);
    // Volume and marker colours are per item, so they are drawn again.
    if (this.buffer !== null) {
      this.volume.setData(this.buffer.bars().map((bar) => this.volumeBar(bar)));
    }
    this.redrawReversals();
    this.redrawSpikes();
  }

  dispose(): void {
    this.disposed = true;
    this.scrollBack.reset();
    this.listeners.abort();
    for (const unsubscribe of this.unsubscribers) {
      unsubscribe();
    }
    this.resizeObserver.disconnect();
    this.tooltip.remove();
    this.holeBadge.remove();
    this.chart.remove();
  }

  /** The channel shown (null before the first). */
  channel(): { readonly symbol: string; readonly tf: string } | null {
    return this.buffer?.channel ?? null;
  }

  /** The bars held, oldest first (for the page's debug hook and tests). */
  bars(): readonly Candle[] {
    return this.buffer?.bars() ?? [];
  }

  /** Updates dropped because they were older than the bar shown. */
  droppedUpdates(): number {
    return this.buffer?.dropped() ?? 0;
  }

  private onSnapshot(snapshot: CandleSnapshot): void {
    if (this.buffer === null || !this.buffer.applySnapshot(snapshot)) {
      return;
    }
    // The server sends the volume line's history with the candles: no warm-up on
    // screen. A resumed snapshot continues the line instead, and so does a fresh one
    // merged into the bars held (another chart opened the channel).
    if (!snapshot.resume && this.buffer.mergedOnSnapshot() === 0) {
      this.zlma = new TimeSeriesBuffer(this.maxBars);
      // The bars scrolled back into are gone: scroll-back starts again from the snapshot.
      this.scrollBack.reset();
      this.olderLoaded = 0;
    }
    this.setAll(this.buffer.bars());
    this.applyGoto();
    for (const c of snapshot.candles) {
      if (c.vol_zlma !== undefined) {
        this.zlma.put({ time: c.t, value: c.vol_zlma });
      }
    }
    this.volumeZlma.setData(this.zlma.points().map(lineData));
    this.redrawReversals();
    this.schedulePublish();
  }

  private applyGoto(): void {
    const time = this.pendingGoto;
    const bars = this.buffer?.bars() ?? [];
    if (time === null || bars.length === 0 || this.buffer?.ready() !== true) {
      return;
    }
    const first = (bars[0] as Candle).t;
    // A signal older than the loaded bars: load older pages until its bar is there.
    if (gotoStep(time, first, this.scrollBack.complete(), this.gotoPages) === 'load') {
      if (this.scrollBack.canLoad()) {
        this.gotoPages += 1;
        this.loadOlder();
      }
      return; // again when that page (or its retry) is in
    }
    this.pendingGoto = null;
    const span = this.bucketSeconds() * 30;
    const from = Math.max(first, time - span);
    this.container.dataset['gotoFirst'] = String(first);
    this.applyingTimeRange = true;
    try {
      this.chart.timeScale().setVisibleRange({ from: toTime(from), to: toTime(from + 2 * span) });
    } catch {
      // no bars in that range: the view stays
    } finally {
      this.applyingTimeRange = false;
    }
  }

  /** Near the oldest bar (or waiting to reach an older time): the next page is wanted. */
  private wantsOlder(): boolean {
    const range = this.chart.timeScale().getVisibleLogicalRange();
    return this.pendingGoto !== null || (range !== null && range.from < 10);
  }

  private loadOlder(): void {
    const buffer = this.buffer;
    const first = buffer?.bars()[0];
    const loader = this.olderCandles;
    if (this.disposed || buffer === null || first === undefined || loader === null || !buffer.ready() || !this.scrollBack.canLoad()) {
      return;
    }
    this.scrollBack.started();
    loader(buffer.channel.symbol, buffer.channel.tf, first.t, kOlderPage).then(
      ({ candles, more }) => {
        if (this.disposed || buffer !== this.buffer) {
          return; // disposed, or moved to another channel meanwhile (scroll-back was reset)
        }
        const added = buffer.prepend(candles);
        this.scrollBack.succeeded(added, more);
        if (added > 0) {
          // Keep what the user looks at in place: the new bars come in on the left.
          const range = this.chart.timeScale().getVisibleLogicalRange();
          this.setAll(buffer.bars());
          if (range !== null) {
            this.chart.timeScale().setVisibleLogicalRange({ from: range.from + added, to: range.to + added });
          }
          this.olderLoaded += added;
          this.redrawReversals();
          this.loadOlderSignals(buffer, first.t);
        }
        this.applyGoto();
        this.schedulePublish();
      },
      (error: unknown) => {
        if (this.disposed || buffer !== this.buffer) {
          return;
        }
        console.warn(`chart: scroll-back of ${buffer.channel.symbol} ${buffer.channel.tf} failed (retried later): ${String(error)}`);
        this.scrollBack.failed(() => {
          if (!this.disposed && buffer === this.buffer && this.wantsOlder()) {
            this.loadOlder();
          }
        });
        this.schedulePublish();
      },
    );
  }

  /** The signals under the bars just put before `oldFirstT` (UTC seconds). */
  private loadOlderSignals(buffer: CandleBuffer, oldFirstT: number): void {
    const loader = this.olderSignals;
    const from = buffer.bars()[0]?.t;
    if (loader === null || from === undefined || from >= oldFirstT) {
      return;
    }
    loader(buffer.channel.symbol, from * 1000, oldFirstT * 1000, kOlderSignalPage).then(
      ({ reversals, spikes }) => {
        const state = this.indicators;
        if (this.disposed || buffer !== this.buffer || state === null) {
          return;
        }
        const starts = spikes.filter((e): e is SpikeStartEvent => e.type === 'spike_start');
        const ends = spikes.filter((e): e is SpikeEndEvent => e.type === 'spike_end');
        const added = state.reversals.addOlder(reversals) + state.spikes.addOlder(starts) + state.spikeEnds.addOlder(ends);
        this.olderSignalsLoaded += added;
        if (added > 0) {
          this.reversalsDirty = true;
          this.spikesDirty = true;
          this.schedulePublish();
        }
      },
      (error: unknown) => {
        if (this.disposed) {
          return;
        }
        console.warn(`chart: signals before ${oldFirstT} of ${buffer.channel.symbol} failed: ${String(error)}`);
      },
    );
  }

  private onRefill(refill: CandleRefill): void {
    if (this.buffer === null || !this.buffer.refill(refill)) {
      return;
    }
    this.setAll(this.buffer.bars());
    this.redrawReversals();
    this.schedulePublish();
  }

  private onCandle(event: CandleEvent): void {
    if (this.buffer === null) {
      return;
    }
    const change = this.buffer.apply(event);
    switch (change.kind) {
      case 'ignored':
        return;
      case 'last':
        this.pendingCandles.put(change.bar.t, change.bar);
        break;
      case 'historical':
        this.drawPendingCandles(); // keep the series' order: queued live bars first
        this.candles.update(candleBar(change.bar), true);
        this.volume.update(this.volumeBar(change.bar), true);
        break;
      case 'reset':
        this.setAll(this.buffer.bars());
        this.redrawReversals();
        break;
    }
    if (event.closed && event.vol_zlma !== undefined) {
      const zlma = this.zlma.put({ time: event.t, value: event.vol_zlma });
      if (zlma.kind === 'last') {
        this.pendingZlma.put(zlma.point.time, zlma.point);
      } else if (zlma.kind === 'reset') {
        this.pendingZlma.clear();
        this.volumeZlma.setData(this.zlma.points().map(lineData));
      }
    }
    this.schedulePublish();
  }

  private onIndicatorChange(change: IndicatorChange | undefined, live: boolean): void {
    const state = this.indicators;
    if (change === undefined || state === null) {
      return;
    }
    const bucket = this.intensityPane.bucket();
    switch (change.kind) {
      case 'ignored':
        return;
      case 'intensity':
        if (change.change.kind === 'last') {
          this.pendingIntensity.put(bucketStart(change.change.point.time, bucket), change.change.point);
        } else {
          this.indicatorsDirty = true;
        }
        // Spike markers before the bars' first point would pile onto it.
        if (state.intensity.size() <= 1 || change.change.kind === 'reset') {
          this.spikesDirty = true;
        }
        break;
      case 'band':
        if (change.change.kind === 'last') {
          this.pendingBand.put(bucketStart(change.change.point.time, bucket), change.change.point);
        } else {
          this.indicatorsDirty = true;
        }
        break;
      case 'spikes': {
        this.spikesDirty = true;
        const newest = state.spikes.events().at(-1);
        if (newest !== undefined && newest.seq > this.pulsedSpikeSeq) {
          if (live) {
            // Drawn at the end of the frame, when its bar is on the chart.
            this.pendingPulse = bucketOfMs(newest.t_ms, bucket);
          }
          this.pulsedSpikeSeq = newest.seq;
        }
        break;
      }
      case 'reversals':
        this.reversalsDirty = true;
        break;
    }
    this.schedulePublish();
  }

  /**
   * The end of a frame: one update per bar touched, one setMarkers per dirty marker set.
   * The full redraws (the intensity pane's whole series, the marker sets) of all charts
   * share a budget per round: past it, a chart leaves its full redraw to a later frame,
   * so the first load of four charts is drawn over a few frames, newest data first (the
   * candles are in already), and no frame becomes a long task.
   */
  private drawPending(round: string): void {
    this.drawPendingCandles();
    for (const point of this.pendingZlma.take()) {
      this.volumeZlma.update(lineData(point));
    }
    const heavy = this.indicatorsDirty || this.spikesDirty || this.reversalsDirty;
    if (heavy && !redrawBudget.allows(round)) {
      this.deferRedraw();
      return; // the live intensity points wait too: the full redraw takes them
    }
    const started = heavy ? performance.now() : 0;
    this.drawPendingIndicators();
    if (heavy) {
      redrawBudget.spend(performance.now() - started);
    }
  }

  /** A full redraw left for the next animation frame (once). */
  private deferRedraw(): void {
    if (this.redrawDeferred || this.disposed) {
      return;
    }
    this.redrawDeferred = true;
    this.deferredRedraws += 1;
    requestAnimationFrame((time) => {
      this.redrawDeferred = false;
      if (!this.disposed) {
        this.drawPending(`frame ${time}`);
      }
    });
  }

  private drawPendingIndicators(): void {
    const state = this.indicators;
    if (this.indicatorsDirty) {
      this.indicatorsDirty = false;
      this.pendingIntensity.clear();
      this.pendingBand.clear();
      this.intensityPane.showAll(state, this.firstBarTime());
    } else if (state !== null) {
      const first = this.firstBarTime() ?? -Infinity;
      const bucket = this.intensityPane.bucket();
      for (const point of this.pendingBand.take()) {
        const time = bucketStart(point.time, bucket);
        if (time >= first) {
          this.intensityPane.updateBand(time, point);
        }
      }
      const band = state.band.last();
      const inSpike = state.inSpike();
      for (const point of this.pendingIntensity.take()) {
        const time = bucketStart(point.time, bucket);
        if (time >= first) {
          this.intensityPane.updateIntensity(time, point, band, inSpike);
        }
      }
    }
    if (this.spikesDirty) {
      this.spikesDirty = false;
      this.redrawSpikes();
    }
    if (this.reversalsDirty) {
      this.reversalsDirty = false;
      this.redrawReversals();
    }
    if (this.pendingPulse !== null) {
      this.pulseSpike(this.pendingPulse);
      this.pendingPulse = null;
    }
  }

  private drawPendingCandles(): void {
    for (const bar of this.pendingCandles.take()) {
      this.candles.update(candleBar(bar));
      this.volume.update(this.volumeBar(bar));
    }
  }

  private clearPending(): void {
    this.pendingCandles.clear();
    this.pendingZlma.clear();
    this.pendingIntensity.clear();
    this.pendingBand.clear();
    this.pendingPulse = null;
  }

  /** Live updates replaced by a newer one of the same bar before they were drawn. */
  coalescedUpdates(): number {
    return (
      this.pendingCandles.coalesced() + this.pendingZlma.coalesced() + this.pendingIntensity.coalesced() + this.pendingBand.coalesced()
    );
  }

  /** A short pulse where a live spike starts (CSS animation, removed when it ends). */
  private pulseSpike(time: number): void {
    // A spike in a bucket the chart has no point for yet pulses at the newest bar.
    const newest = this.buffer?.bars().at(-1)?.t;
    const x =
      this.chart.timeScale().timeToCoordinate(toTime(time)) ??
      (newest !== undefined && newest <= time ? this.chart.timeScale().timeToCoordinate(toTime(newest)) : null);
    const pane = this.chart.panes()[kCandlePane];
    if (x === null || pane === undefined) {
      return;
    }
    const pulse = document.createElement('div');
    pulse.className = 'spike-pulse';
    pulse.style.transform = `translate(${Math.round(x) - 8}px, ${pane.getHeight() + 10}px)`;
    pulse.addEventListener('animationend', () => pulse.remove(), { signal: this.listeners.signal });
    setTimeout(() => pulse.remove(), 2_000); // also when animations are off
    this.container.append(pulse);
    this.spikePulses += 1;
  }

  private firstBarTime(): number | null {
    return this.buffer?.bars()[0]?.t ?? null;
  }

  private setAll(bars: readonly Candle[]): void {
    this.pendingCandles.clear();
    this.pendingZlma.clear();
    const firstBefore = this.firstBarTime();
    this.candles.setData(bars.map(candleBar));
    this.volume.setData(bars.map((bar) => this.volumeBar(bar)));
    // The ZLMA line must not reach left of the bars it belongs to.
    const first = bars[0];
    if (first !== undefined) {
      this.zlma.dropBefore(first.t);
    }
    this.volumeZlma.setData(this.zlma.points().map(lineData));
    // The intensity pane starts where the candles start.
    if (first?.t !== firstBefore || bars.length === 0) {
      this.indicatorsDirty = true;
    }
  }

  /** Everything the indicator state holds, on the current time grid. */
  private redrawIndicators(): void {
    this.pendingIntensity.clear();
    this.pendingBand.clear();
    this.intensityPane.showAll(this.indicators, this.firstBarTime());
    this.redrawReversals();
    this.redrawSpikes();
  }

  private redrawReversals(): void {
    const first = this.buffer?.bars()[0];
    const markers =
      this.indicators === null || this.buffer === null
        ? []
        : reversalMarkers(
            this.indicators.reversals.events(),
            this.barGrid,
            first?.t ?? null,
            this.markerColours(),
            undefined,
            this.versions,
          );
    this.reversalMarkers.setMarkers(markers);
    this.reversalMarkerCount = markers.length;
  }

  private redrawSpikes(): void {
    const state = this.indicators;
    const first = state?.intensity.first();
    const bucket = this.intensityPane.bucket();
    // Markers live on the intensity bars: none left of the first bar drawn there.
    const markers =
      state === null || first === null || first === undefined
        ? []
        : spikeMarkers(
            state.spikes.events(),
            bucket,
            Math.max(bucketStart(first.time, bucket), this.firstBarTime() ?? -Infinity),
            this.markerColours(),
          );
    this.intensityPane.showSpikes(markers);
    this.spikeMarkerCount = markers.length;
  }

  /**
   * The bar holding a time (UTC seconds), among the bars held: markers, intensity and
   * the synced crosshair land on the right bar also where bars start at a session's
   * open rather than on the epoch grid (1h and 1d of session symbols).
   */
  private readonly barGrid: BarGrid = (t) => barStartOf(this.buffer?.bars() ?? [], t, this.bucketSeconds());

  private bucketSeconds(): number {
    return this.buffer === null ? 1 : (timeframeSeconds(this.buffer.channel.tf) ?? 1);
  }

  private markerColours(): MarkerColours {
    const t = this.theme;
    return {
      versions: [
        { buy: t.markerV1Buy, sell: t.markerV1Sell },
        { buy: t.markerV2Buy, sell: t.markerV2Sell },
        { buy: t.markerV3Buy, sell: t.markerV3Sell },
        { buy: t.markerV4Buy, sell: t.markerV4Sell },
      ],
      spike: t.markerSpike,
    };
  }

  private volumeBar(bar: Candle): HistogramData<UTCTimestamp> {
    return { time: toTime(bar.t), value: bar.v, color: bar.c >= bar.o ? this.theme.volumeUp : this.theme.volumeDown };
  }

  private applyTheme(): void {
    const theme = this.theme;
    this.chart.applyOptions({
      layout: {
        background: { type: ColorType.Solid, color: theme.background },
        textColor: theme.text,
        panes: { separatorColor: theme.border, separatorHoverColor: theme.crosshair },
      },
      grid: { vertLines: { color: theme.grid }, horzLines: { color: theme.grid } },
      rightPriceScale: { borderColor: theme.border },
      timeScale: { borderColor: theme.border },
      crosshair: { vertLine: { color: theme.crosshair }, horzLine: { color: theme.crosshair } },
    });
    this.candles.applyOptions({
      upColor: theme.up,
      downColor: theme.down,
      borderUpColor: theme.up,
      borderDownColor: theme.down,
      wickUpColor: theme.up,
      wickDownColor: theme.down,
    });
    this.volumeZlma.applyOptions({ color: theme.volumeZlma });
    this.applyLabel();
  }

  private applyLabel(): void {
    const channel = this.buffer?.channel;
    this.label.applyOptions({
      lines: [
        { text: channel === undefined ? '' : `${channel.symbol} · ${channel.tf}`, color: this.theme.legend, fontSize: 12 },
        { text: 'Volume · ZLMA 20', color: this.theme.volumeZlma, fontSize: 11 },
      ],
    });
  }

  /**
   * Publishes once after the current round of updates: a frame's batches reach the
   * chart in one synchronous run, and the microtask runs when it is over.
   */
  private schedulePublish(): void {
    if (this.publishPending) {
      return;
    }
    this.publishPending = true;
    queueMicrotask(() => {
      this.publishPending = false;
      if (!this.disposed) {
        this.publish();
      }
    });
  }

  /** Mirrors the state into data attributes (for tests and CSS) and onto the bus. */
  private publish(): void {
    const buffer = this.buffer;
    // Only attributes whose value changed are written: each write is a DOM mutation.
    const data = new Proxy({} as Record<string, string>, {
      set: (_target, key: string, value: string) => {
        if (this.written.get(key) !== value) {
          this.written.set(key, value);
          this.container.dataset[key] = value;
        }
        return true;
      },
    });
    data['bars'] = String(buffer?.bars().length ?? 0);
    data['symbol'] = buffer?.channel.symbol ?? '';
    data['tf'] = buffer?.channel.tf ?? '';
    data['gaps'] = String(buffer?.gaps() ?? 0);
    data['missing'] = String(buffer?.missing() ?? 0);
    data['ready'] = String(buffer?.ready() ?? false);
    const state = this.indicators;
    data['smoother'] = state?.smoother() ?? this.smoother;
    data['intensityReady'] = String(state?.ready('intensity') ?? false);
    data['intensityPoints'] = String(state?.intensity.size() ?? 0);
    data['bandPoints'] = String(state?.band.size() ?? 0);
    data['zlmaPoints'] = String(this.zlma.size());
    data['reversals'] = String(state?.reversals.size() ?? 0);
    data['reversalMarkers'] = String(this.reversalMarkerCount);
    data['versions'] = [...this.versions].sort().join(',');
    data['older'] = String(this.olderLoaded);
    data['olderSignals'] = String(this.olderSignalsLoaded);
    data['historyComplete'] = String(this.scrollBack.complete());
    data['olderFailures'] = String(this.scrollBack.failures());
    data['spikes'] = String(state?.spikes.size() ?? 0);
    data['spikeMarkers'] = String(this.spikeMarkerCount);
    data['spikePulses'] = String(this.spikePulses);
    data['coalesced'] = String(this.coalescedUpdates());
    data['deferredRedraws'] = String(this.deferredRedraws);
    if (buffer !== null) {
      this.bus.emit('chart_state', {
        chart: this.index,
        symbol: buffer.channel.symbol,
        tf: buffer.channel.tf,
        bars: buffer.bars().length,
        last: buffer.last(),
        gaps: buffer.gaps(),
        missed: buffer.missed(),
        missing: buffer.missing(),
      });
    }
  }
}

/**
 * The time all charts may spend on full redraws in one round (ms). One chart always
 * redraws per round (the budget is checked before, not during), so every redraw happens.
 */
const kRedrawBudgetMs = 8;

const redrawBudget = {
  round: '',
  spentMs: 0,
  allows(round: string): boolean {
    if (round !== this.round) {
      this.round = round;
      this.spentMs = 0;
    }
    return this.spentMs < kRedrawBudgetMs;
  },
  spend(ms: number): void {
    this.spentMs += ms;
  },
};

/** The bar starting at `t`, by binary search (bars are strictly increasing in time). */
function barAt(bars: readonly Candle[], t: number): Candle | undefined {
  let lo = 0;
  let hi = bars.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const bar = bars[mid] as Candle;
    if (bar.t === t) {
      return bar;
    }
    if (bar.t < t) {
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return undefined;
}

/** Candle times are UTC seconds, which is what Lightweight Charts calls UTCTimestamp. */
function toTime(t: number): UTCTimestamp {
  return t as UTCTimestamp;
}

function lineData(point: ValuePoint): LineData<UTCTimestamp> {
  return { time: toTime(point.time), value: point.value };
}

function candleBar(bar: Candle): CandlestickData<UTCTimestamp> {
  return { time: toTime(bar.t), open: bar.o, high: bar.h, low: bar.l, close: bar.c };
}
