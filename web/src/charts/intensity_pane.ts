// The intensity pane under the candles (a second pane of the same chart, so the time
// scale and the crosshair are shared): the smoothed intensity line, the adaptive
// buffer band (upper / dashed baseline / lower) and spike-start markers. It only
// draws; the data and its bookkeeping live in IndicatorState.
//
// Points are kept per second. The pane draws them on the candles' time grid: with 1 s
// candles that is one point per second; with longer candles each bar shows the last
// value of its bucket, because a shared time scale places every point in its own slot
// and per-second points would spread the candles apart.

import {
  LineSeries,
  LineStyle,
  createSeriesMarkers,
  createTextWatermark,
  type IChartApi,
  type ISeriesApi,
  type ISeriesMarkersPluginApi,
  type ITextWatermarkPluginApi,
  type LineData,
  type LineWidth,
  type Time,
  type UTCTimestamp,
} from 'lightweight-charts';
import type { Smoother } from '../net/protocol';
import type { ChartTheme } from './chart_theme';
import type { BandPoint, IntensityPoint } from './indicator_state';
import type { ChartMarker } from './markers';
import { bucketStart, foldToBuckets } from './time_series';

type BandKey = 'upper' | 'baseline' | 'lower';

const kBandKeys: readonly BandKey[] = ['upper', 'baseline', 'lower'];

export class IntensityPane {
  private readonly line: ISeriesApi<'Line'>;
  private readonly band: Readonly<Record<BandKey, ISeriesApi<'Line'>>>;
  private readonly spikes: ISeriesMarkersPluginApi<Time>;
  private readonly label: ITextWatermarkPluginApi<Time>;
  private theme: ChartTheme;
  private smoother: Smoother = 'ema';
  private bucketSeconds = 1;

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
      LineSeries,
      { lineWidth: 2, priceLineVisible: false, lastValueVisible: true, priceFormat: volumeFormat },
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

  /** The time grid to draw on: the candles' timeframe in seconds. */
  setBucket(seconds: number): void {
    this.bucketSeconds = Math.max(1, Math.floor(seconds));
  }

  bucket(): number {
    return this.bucketSeconds;
  }

  setSmoother(smoother: Smoother): void {
    this.smoother = smoother;
    this.applyLabel();
  }

  showIntensity(points: readonly IntensityPoint[]): void {
    this.line.setData(foldToBuckets(points, this.bucketSeconds).map((p) => lineData(p.time, p.value)));
  }

  updateIntensity(point: IntensityPoint): void {
    this.line.update(lineData(bucketStart(point.time, this.bucketSeconds), point.value));
  }

  showBand(points: readonly BandPoint[]): void {
    const folded = foldToBuckets(points, this.bucketSeconds);
    for (const key of kBandKeys) {
      this.band[key].setData(folded.map((p) => lineData(p.time, p[key])));
    }
  }

  updateBand(point: BandPoint): void {
    const time = bucketStart(point.time, this.bucketSeconds);
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

  private applyTheme(): void {
    const theme = this.theme;
    this.line.applyOptions({ color: theme.intensity });
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
