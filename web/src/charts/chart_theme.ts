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
  return {
    background: read('background'),
    text: read('text'),
    grid: read('grid'),
    border: read('border'),
    crosshair: read('crosshair'),
    up: read('up'),
    down: read('down'),
    volumeUp: read('volumeUp'),
    volumeDown: read('volumeDown'),
  };
}
