// One chart instance: a candlestick series with a volume histogram in the bottom fifth
// of the pane, fed from the bus for one (symbol, tf) channel at a time. Bar bookkeeping
// lives in CandleBuffer; this file only wires it to Lightweight Charts and the DOM.

import {
  CandlestickSeries,
  ColorType,
  CrosshairMode,
  HistogramSeries,
  createChart,
  type CandlestickData,
  type HistogramData,
  type IChartApi,
  type ISeriesApi,
  type UTCTimestamp,
} from 'lightweight-charts';
import type { AppBus } from '../bus/topics';
import type { Candle, CandleEvent, SnapshotMessage } from '../net/protocol';
import { CandleBuffer, kDefaultMaxBars } from './candle_buffer';
import type { ChartTheme } from './chart_theme';
import { timeframeSeconds } from './timeframe';

/** The channel to show and how to print its prices. */
export interface ChartChannel {
  readonly symbol: string;
  readonly tf: string;
  readonly decimals: number;
  readonly tickSize: number;
}

const kVolumeScaleId = 'volume';

export class CandleChart {
  private readonly container: HTMLElement;
  private readonly bus: AppBus;
  private readonly chart: IChartApi;
  private readonly candles: ISeriesApi<'Candlestick'>;
  private readonly volume: ISeriesApi<'Histogram'>;
  private readonly resizeObserver: ResizeObserver;
  private readonly unsubscribers: Array<() => void>;
  private readonly maxBars: number;
  private theme: ChartTheme;
  private buffer: CandleBuffer | null = null;

  constructor(container: HTMLElement, bus: AppBus, theme: ChartTheme, maxBars: number = kDefaultMaxBars) {
    this.container = container;
    this.bus = bus;
    this.theme = theme;
    this.maxBars = maxBars;
    this.chart = createChart(container, {
      width: container.clientWidth,
      height: container.clientHeight,
      crosshair: { mode: CrosshairMode.Normal },
      timeScale: { timeVisible: true, secondsVisible: true, rightOffset: 4, barSpacing: 8 },
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
    this.applyTheme();

    this.resizeObserver = new ResizeObserver((entries) => {
      const box = entries[0]?.contentRect;
      if (box !== undefined && box.width > 0 && box.height > 0) {
        this.chart.resize(Math.floor(box.width), Math.floor(box.height));
      }
    });
    this.resizeObserver.observe(container);

    this.unsubscribers = [
      bus.on('snapshot', (snapshot) => this.onSnapshot(snapshot)),
      bus.on('candle', (event) => this.onCandle(event)),
    ];
    this.publish();
  }

  /** Switches to another channel; bars appear when its snapshot arrives. */
  setChannel(channel: ChartChannel): void {
    this.buffer = new CandleBuffer(channel, this.maxBars);
    const seconds = timeframeSeconds(channel.tf);
    this.chart.applyOptions({
      timeScale: { timeVisible: seconds === null || seconds < 86_400, secondsVisible: seconds !== null && seconds < 60 },
    });
    this.candles.applyOptions({
      priceFormat: { type: 'price', precision: channel.decimals, minMove: channel.tickSize },
    });
    this.candles.setData([]);
    this.volume.setData([]);
    this.publish();
  }

  setTheme(theme: ChartTheme): void {
    this.theme = theme;
    this.applyTheme();
    // Volume colours are per bar, so the bars are drawn again.
    if (this.buffer !== null) {
      this.volume.setData(this.buffer.bars().map((bar) => this.volumeBar(bar)));
    }
  }

  dispose(): void {
    for (const unsubscribe of this.unsubscribers) {
      unsubscribe();
    }
    this.resizeObserver.disconnect();
    this.chart.remove();
  }

  private onSnapshot(snapshot: SnapshotMessage): void {
    if (this.buffer === null || !this.buffer.applySnapshot(snapshot)) {
      return;
    }
    this.setAll(this.buffer.bars());
    this.publish();
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
        this.candles.update(candleBar(change.bar));
        this.volume.update(this.volumeBar(change.bar));
        break;
      case 'historical':
        this.candles.update(candleBar(change.bar), true);
        this.volume.update(this.volumeBar(change.bar), true);
        break;
      case 'reset':
        this.setAll(this.buffer.bars());
        break;
    }
    this.publish();
  }

  private setAll(bars: readonly Candle[]): void {
    this.candles.setData(bars.map(candleBar));
    this.volume.setData(bars.map((bar) => this.volumeBar(bar)));
  }

  private volumeBar(bar: Candle): HistogramData<UTCTimestamp> {
    return { time: toTime(bar.t), value: bar.v, color: bar.c >= bar.o ? this.theme.volumeUp : this.theme.volumeDown };
  }

  private applyTheme(): void {
    const theme = this.theme;
    this.chart.applyOptions({
      layout: { background: { type: ColorType.Solid, color: theme.background }, textColor: theme.text },
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
  }

  /** Mirrors the state into data attributes (for tests and CSS) and onto the bus. */
  private publish(): void {
    const buffer = this.buffer;
    const data = this.container.dataset;
    data['bars'] = String(buffer?.bars().length ?? 0);
    data['symbol'] = buffer?.channel.symbol ?? '';
    data['tf'] = buffer?.channel.tf ?? '';
    data['gaps'] = String(buffer?.gaps() ?? 0);
    data['ready'] = String(buffer?.ready() ?? false);
    if (buffer !== null) {
      this.bus.emit('chart_state', {
        symbol: buffer.channel.symbol,
        tf: buffer.channel.tf,
        bars: buffer.bars().length,
        last: buffer.last(),
        gaps: buffer.gaps(),
        missed: buffer.missed(),
      });
    }
  }
}

/** Candle times are UTC seconds, which is what Lightweight Charts calls UTCTimestamp. */
function toTime(t: number): UTCTimestamp {
  return t as UTCTimestamp;
}

function candleBar(bar: Candle): CandlestickData<UTCTimestamp> {
  return { time: toTime(bar.t), open: bar.o, high: bar.h, low: bar.l, close: bar.c };
}
