import { describe, expect, it } from 'vitest';
import { kThemeVariables, readChartTheme } from '../src/charts/chart_theme';
import { timeframeSeconds } from '../src/charts/timeframe';
import { candleHistorySeconds, chartChannels, kDefaultSmoother, smootherOrDefault } from '../src/ui/selection';

describe('chartChannels', () => {
  it('is the candle channel and the four indicator channels, intensity in the smoother, each with its history', () => {
    expect(chartChannels('ALFA', '10s', 'zlma')).toEqual([
      { symbol: 'ALFA', stream: 'candles:10s', history: 3000 },
      { symbol: 'ALFA', stream: 'intensity:zlma', history: '5m' },
      { symbol: 'ALFA', stream: 'buffer', history: '5m' },
      { symbol: 'ALFA', stream: 'spikes', history: '1h' },
      { symbol: 'ALFA', stream: 'reversals', history: '1h' },
    ]);
  });

  it('asks for at least 10 minutes and at most 7 days of candles', () => {
    expect(candleHistorySeconds('1s')).toBe(600);
    expect(candleHistorySeconds('1m')).toBe(18_000);
    expect(candleHistorySeconds('1d')).toBe(604_800);
  });
});

describe('smootherOrDefault', () => {
  it('defaults to ema and keeps a known smoother', () => {
    expect(kDefaultSmoother).toBe('ema');
    expect(smootherOrDefault('zlma')).toBe('zlma');
    expect(smootherOrDefault('sma')).toBe('sma');
    expect(smootherOrDefault(null)).toBe('ema');
    expect(smootherOrDefault('ZLMA')).toBe('ema');
  });
});

describe('timeframeSeconds', () => {
  it.each([
    ['1s', 1],
    ['10s', 10],
    ['1m', 60],
    ['15m', 900],
    ['1h', 3600],
    ['1d', 86400],
    ['1w', 604800],
  ])('%s is %i s', (tf, seconds) => {
    expect(timeframeSeconds(tf)).toBe(seconds);
  });

  it.each(['', 's', '0s', '1y', '1.5m', 'm1'])('does not read %j', (tf) => {
    expect(timeframeSeconds(tf)).toBeNull();
  });
});

describe('readChartTheme', () => {
  it('reads every colour from its CSS variable, trimmed', () => {
    const theme = readChartTheme((name) => ` value-of(${name}) `);
    expect(theme.up).toBe('value-of(--candle-up)');
    expect(theme.volumeDown).toBe('value-of(--volume-down)');
    expect(theme.volumeZlma).toBe('value-of(--volume-zlma)');
    expect(theme.intensity).toBe('value-of(--intensity-line)');
    expect(theme.markerSpike).toBe('value-of(--marker-spike)');
    expect(Object.keys(theme).sort()).toEqual(Object.keys(kThemeVariables).sort());
  });

  it('refuses a theme with a missing variable', () => {
    expect(() => readChartTheme((name) => (name === '--candle-down' ? '  ' : '#000'))).toThrow(/--candle-down/);
  });
});
