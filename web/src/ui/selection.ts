// Which (symbol, timeframe) the page shows after a `hello`: keep the current choice if
// the server still offers it, otherwise the first symbol and the preferred timeframe;
// and what the page subscribes to for a choice.

import { isSmoother, type HelloMessage, type Smoother, type Subscription, type SymbolInfo } from '../net/protocol';

export interface Selection {
  readonly symbol: SymbolInfo;
  readonly tf: string;
}

/** `1s` shows several candles within seconds of opening the page. */
export const kPreferredTimeframe = '1s';

export function chooseSelection(
  hello: HelloMessage,
  current: { readonly symbol: string; readonly tf: string } | null,
  preferredTf: string = kPreferredTimeframe,
): Selection | null {
  const first = hello.symbols[0];
  if (first === undefined || hello.timeframes.length === 0) {
    return null;
  }
  const symbol = hello.symbols.find((s) => s.symbol === current?.symbol) ?? first;
  const tf =
    [current?.tf, preferredTf].find((t): t is string => t !== undefined && hello.timeframes.includes(t)) ??
    (hello.timeframes[0] as string);
  return { symbol, tf };
}

/**
 * Everything the page subscribes to for a choice: the candle channel and the symbol's
 * indicator streams, `intensity` with the user's smoother. Reversal markers and spike
 * markers need no timeframe, so only the candle channel follows `tf`.
 */
export function pageSubscriptions(symbol: string, tf: string, smoother: Smoother): Subscription[] {
  return [
    { symbol, tf },
    { symbol, stream: 'intensity', smoother },
    { symbol, stream: 'buffer' },
    { symbol, stream: 'spikes' },
    { symbol, stream: 'reversals' },
  ];
}

/** The smoother shown before the user picks one. */
export const kDefaultSmoother: Smoother = 'ema';

/** A stored or picked smoother name, or the default for anything else. */
export function smootherOrDefault(value: unknown): Smoother {
  return isSmoother(value) ? value : kDefaultSmoother;
}
