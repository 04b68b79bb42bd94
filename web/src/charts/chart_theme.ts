// The colours a chart draws with. They come from the page's CSS variables (the theme
// lives in CSS only); this module names the variables and checks they are set.

export interface ChartTheme {
  readonly background: string;
  readonly text: string;
  readonly grid: string;
  readonly border: string;
  readonly crosshair: string;
  readonly up: string;
  readonly down: string;
  readonly volumeUp: string;
  readonly volumeDown: string;
  /** The volume ZLMA line over the volume histogram (purple). */
  readonly volumeZlma: string;
  readonly intensity: string;
  /** The adaptive buffer's upper and lower lines. */
  readonly bandEdge: string;
  /** The adaptive buffer's baseline (dashed). */
  readonly bandBaseline: string;
  /** Intensity bars by zone: below the band, inside, above, in a spike. */
  readonly zoneBelow: string;
  readonly zoneInside: string;
  readonly zoneAbove: string;
  readonly zoneSpike: string;
  /** Reversal markers per version (1–4) and direction. */
  readonly markerV1Buy: string;
  readonly markerV1Sell: string;
  readonly markerV2Buy: string;
  readonly markerV2Sell: string;
  readonly markerV3Buy: string;
  readonly markerV3Sell: string;
  readonly markerV4Buy: string;
  readonly markerV4Sell: string;
  readonly markerSpike: string;
  /** Pane labels ("Intensity · EMA"). */
  readonly legend: string;
}

/** CSS custom property behind each theme colour. */
export const kThemeVariables: Readonly<Record<keyof ChartTheme, string>> = {
  background: '--chart-bg',
  text: '--chart-text',
  grid: '--chart-grid',
  border: '--chart-border',
  crosshair: '--chart-crosshair',
  up: '--candle-up',
  down: '--candle-down',
  volumeUp: '--volume-up',
  volumeDown: '--volume-down',
  volumeZlma: '--volume-zlma',
  intensity: '--intensity-line',
  bandEdge: '--band-edge',
  bandBaseline: '--band-baseline',
  zoneBelow: '--intensity-below',
  zoneInside: '--intensity-inside',
  zoneAbove: '--intensity-above',
  zoneSpike: '--intensity-spike',
  markerV1Buy: '--marker-v1-buy',
  markerV1Sell: '--marker-v1-sell',
  markerV2Buy: '--marker-v2-buy',
  markerV2Sell: '--marker-v2-sell',
  markerV3Buy: '--marker-v3-buy',
  markerV3Sell: '--marker-v3-sell',
  markerV4Buy: '--marker-v4-buy',
  markerV4Sell: '--marker-v4-sell',
  markerSpike: '--marker-spike',
  legend: '--chart-legend',
};

/** Reads the theme through `lookup` (e.g. getComputedStyle(el).getPropertyValue). */
export function readChartTheme(lookup: (variable: string) => string): ChartTheme {
  const read = (key: keyof ChartTheme): string => {
    const variable = kThemeVariables[key];
    const value = lookup(variable).trim();
    if (value === '') {
      throw new Error(`theme: CSS variable ${variable} is not set`);
    }
    return value;
  };
  const theme = {} as Record<keyof ChartTheme, string>;
  for (const key of Object.keys(kThemeVariables) as (keyof ChartTheme)[]) {
    theme[key] = read(key);
  }
  return theme;
}
