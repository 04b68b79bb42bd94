// Which (symbol, timeframe) the page shows after a `hello`: keep the current choice if
// the server still offers it, otherwise the first symbol and the preferred timeframe.

import type { HelloMessage, SymbolInfo } from '../net/protocol';

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
