import { describe, expect, it } from 'vitest';
import { kDefaultMaxBars } from '../src/charts/candle_buffer';
import { barsSetting, kMaxBars, kMinBars, parseBars } from '../src/ui/bars_setting';

describe('bars setting', () => {
  it('takes the URL first, then what was stored, then the default', () => {
    expect(barsSetting('?layout=4&bars=20000', '8000')).toEqual({ bars: 20_000, fromUrl: true });
    expect(barsSetting('?layout=4', '8000')).toEqual({ bars: 8_000, fromUrl: false });
    expect(barsSetting('', null)).toEqual({ bars: kDefaultMaxBars, fromUrl: false });
    expect(barsSetting('?bars=lots', 'junk')).toEqual({ bars: kDefaultMaxBars, fromUrl: false });
  });

  it('clamps to the documented range', () => {
    expect(parseBars('10')).toBe(kMinBars);
    expect(parseBars('1e9')).toBe(kMaxBars);
    expect(parseBars('2500.7')).toBe(2500);
    expect(parseBars('')).toBeNull();
  });
});
