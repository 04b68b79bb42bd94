// The intensity pane under the candles (a second pane of the same chart, so the time
// scale and the crosshair are shared and the pane is time-synchronised with its
// candles): intensity as bars coloured by zone (below the band, inside, above, in a
// spike), the adaptive buffer band (upper / dashed baseline / lower) and spike-start
// markers, with a short pulse where a live spike starts. It only draws; the data and
// its bookkeeping live in IndicatorState, the zones in intensity_zones.ts.
//
// Points are kept per second. The pane draws them on the candles' time grid: with 1 s
// candles that is one bar per second; with longer candles each bar shows the last
// value of its bar (found among the candles' own bars, so session bars that start at the
// open are right), because a shared time scale places every point in its own slot
// and per-second points would spread the candles apart. Nothing is drawn left of the
// first candle, so the pane never stretches the shared time scale.

import {
  HistogramSeries,
  LineSeries,
  LineStyle,
  createSeriesMarkers,
  createTextWatermark,
  type IChartApi,
  type ISeriesApi,
  type ISeriesMarkersPluginApi,
  type ITextWatermarkPluginApi,
  type HistogramData,
  type LineData,
  type LineWidth,
  type Time,
  type UTCTimestamp,
} from 'lightweight-charts';
import type { Smoother } from '../net/protocol';
import type { ChartTheme } from './chart_theme';
import type { BandPoint, IndicatorState, IntensityPoint } from './indicator_state';
import { fromTime, intensityZone, spikeIntervals, zonedPoints, type IntensityZone } from './intensity_zones';
import type { ChartMarker } from './markers';
import { foldToBuckets, type BarGrid } from './time_series';

type BandKey = 'upper' | 'baseline' | 'lower';

const kBandKeys: readonly BandKey[] = ['upper', 'baseline', 'lower'];

export class IntensityPane {
  private readonly line: ISeriesApi<'Histogram'>;
  private readonly band: Readonly<Record<BandKey, ISeriesApi<'Line'>>>;
  private readonly spikes: ISeriesMarkersPluginApi<Time>;
  private readonly label: ITextWatermarkPluginApi<Time>;
  private theme: ChartTheme;
  private smoother: Smoother = 'ema';
  /** The candles' bars (a session's bars start at its open); the epoch grid until set. */
  private grid: BarGrid = 1;

  constructor(chart: IChartApi, paneIndex: number, theme: ChartTheme) {
    this.theme = theme;
    const quiet = { priceLineVisible: false, lastValueVisible: false, crosshairMarkerVisible: false } as const;
    const volumeFormat = { type: 'volume' } as const;
    // The band first, so the intensity line is drawn over it.
    const bandLine = (style: LineStyle, width: LineWidth): ISeriesApi<'Line'> =>
      chart.addSeries(LineSeries, { ...quiet, lineStyle: style, lineWidth: width, priceFormat: volumeFormat }, paneIndex);
    this.band = {
      upper: bandLine(LineStyle.Solid, 1),
      baseline: bandLine(LineStyle.Dashed, 1),
      lower: bandLine(LineStyle.Solid, 1),
    };
    this.line = chart.addSeries(
      HistogramSeries,
      { priceLineVisible: false, lastValueVisible: true, priceFormat: volumeFormat, base: 0 },
      paneIndex,
    );
    this.line.priceScale().applyOptions({ scaleMargins: { top: 0.18, bottom: 0.06 } });
    this.spikes = createSeriesMarkers(this.line, [], { autoScale: true });
    const pane = chart.panes()[paneIndex];
    if (pane === undefined) {
      throw new Error(`chart: no pane ${paneIndex}`);
    }
    this.label = createTextWatermark(pane, { horzAlign: 'left', vertAlign: 'top', lines: [] });
    this.applyTheme();
  }

  /** The time grid to draw on: the candles' bars (or a timeframe in seconds). */
  setBucket(grid: BarGrid): void {
    this.grid = grid;
  }

  /** Where a time falls on the candles (see `BarGrid`). */
  bucket(): BarGrid {
    return this.grid;
  }

  setSmoother(smoother: Smoother): void {
    this.smoother = smoother;
    this.applyLabel();
  }

  /**
   * Draws everything `state` holds from the bucket of `firstTime` (the first candle,
   * UTC seconds; null: no candles yet) on: bars coloured by zone, and the band.
   */
  showAll(state: IndicatorState | null, firstTime: number | null): void {
    const bucket = this.grid;
    const band = fromTime(foldToBuckets(state?.band.points() ?? [], bucket), firstTime);
    const points = fromTime(foldToBuckets(state?.intensity.points() ?? [], bucket), firstTime);
    const spikes = state === null ? [] : spikeIntervals(state.spikes.events(), state.spikeEnds.events(), bucket);
    this.line.setData(zonedPoints(points, band, spikes).map((p) => this.bar(p.time, p.value, p.zone)));
    for (const key of kBandKeys) {
      this.band[key].setData(band.map((p) => lineData(p.time, p[key])));
    }
  }

  /** The live bar of bucket `time` (the last value of it), coloured against `band`. */
  updateIntensity(time: number, point: IntensityPoint, band: BandPoint | null, inSpike: boolean): void {
    this.line.update(this.bar(time, point.value, intensityZone(point.value, band ?? undefined, inSpike)));
  }

  updateBand(time: number, point: BandPoint): void {
    for (const key of kBandKeys) {
      this.band[key].update(lineData(time, point[key]));
    }
  }

  showSpikes(markers: ChartMarker[]): void {
    this.spikes.setMarkers(markers);
  }

  setTheme(theme: ChartTheme): void {
    this.theme = theme;
    this.applyTheme();
  }

  private bar(time: number, value: number, zone: IntensityZone): HistogramData<UTCTimestamp> {
    const theme = this.theme;
    const color =
      zone === 'spike' ? theme.zoneSpike : zone === 'above' ? theme.zoneAbove : zone === 'below' ? theme.zoneBelow : theme.zoneInside;
    return { time: time as UTCTimestamp, value, color };
  }

  private applyTheme(): void {
    const theme = this.theme;
    this.line.applyOptions({ color: theme.zoneInside });
    this.band.upper.applyOptions({ color: theme.bandEdge });
    this.band.lower.applyOptions({ color: theme.bandEdge });
    this.band.baseline.applyOptions({ color: theme.bandBaseline });
    this.applyLabel();
  }

  private applyLabel(): void {
    this.label.applyOptions({
      lines: [
        { text: `Intensity · ${this.smoother.toUpperCase()}`, color: this.theme.intensity, fontSize: 12 },
        { text: 'Adaptive buffer band', color: this.theme.legend, fontSize: 11 },
      ],
    });
  }
}

function lineData(time: number, value: number): LineData<UTCTimestamp> {
  return { time: time as UTCTimestamp, value };
}
