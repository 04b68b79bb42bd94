// The trading screen's layout, kept DOM-free: how many charts in which arrangement
// (1, 2 side by side, 4 in a grid, 1 large + 3), each chart's symbol and timeframe,
// which one has the focus, and the intensity smoother. It round-trips through the URL
// query (a link reopens the same screen) and localStorage; anything unreadable or no
// longer offered by the server falls back to a default.

import { isSmoother, type HelloMessage, type Smoother } from '../net/protocol';

export type LayoutKind = '1' | '2' | '4' | '1+3';

export const kLayouts: readonly LayoutKind[] = ['1', '2', '4', '1+3'];

export const kMaxCharts = 4;

export function isLayout(value: unknown): value is LayoutKind {
  return typeof value === 'string' && (kLayouts as readonly string[]).includes(value);
}

export function chartCount(layout: LayoutKind): number {
  switch (layout) {
    case '1':
      return 1;
    case '2':
      return 2;
    case '4':
    case '1+3':
      return 4;
  }
}

export interface ChartChoice {
  readonly symbol: string;
  readonly tf: string;
}

export interface Screen {
  readonly layout: LayoutKind;
  /** Always kMaxCharts entries: charts hidden by a smaller layout keep their choice. */
  readonly charts: readonly ChartChoice[];
  /** The chart the header's pickers act on. */
  readonly focus: number;
  readonly smoother: Smoother;
}

/** What a screen may hold: the server's symbols and timeframes. */
export interface Offer {
  readonly symbols: readonly string[];
  readonly timeframes: readonly string[];
}

export function offerOf(hello: HelloMessage): Offer {
  return { symbols: hello.symbols.map((s) => s.symbol), timeframes: hello.timeframes };
}

/** A partial, unchecked screen as read from the URL or storage. */
export interface ScreenDraft {
  readonly layout?: string;
  readonly charts?: readonly (Partial<ChartChoice> | null)[];
  readonly focus?: number;
  readonly smoother?: string;
}

export const kDefaultTimeframes: readonly string[] = ['1s', '10s', '1m', '5m'];

/**
 * A screen the server can show: the draft's choices where they are offered, else chart
 * i shows the i-th symbol (wrapping) on a default timeframe.
 */
export function resolveScreen(draft: ScreenDraft | null, offer: Offer, fallbackSmoother: Smoother = 'ema'): Screen | null {
  if (offer.symbols.length === 0 || offer.timeframes.length === 0) {
    return null;
  }
  const layout = isLayout(draft?.layout) ? draft.layout : '1';
  const charts: ChartChoice[] = [];
  for (let i = 0; i < kMaxCharts; i += 1) {
    const wanted = draft?.charts?.[i] ?? null;
    const symbol =
      wanted?.symbol !== undefined && offer.symbols.includes(wanted.symbol)
        ? wanted.symbol
        : (offer.symbols[i % offer.symbols.length] as string);
    const preferred = kDefaultTimeframes[i] ?? '1s';
    const tf =
      wanted?.tf !== undefined && offer.timeframes.includes(wanted.tf)
        ? wanted.tf
        : offer.timeframes.includes(preferred)
          ? preferred
          : (offer.timeframes[0] as string);
    charts.push({ symbol, tf });
  }
  const focusRaw = draft?.focus ?? 0;
  const focus = Number.isInteger(focusRaw) && focusRaw >= 0 && focusRaw < chartCount(layout) ? focusRaw : 0;
  const smoother = isSmoother(draft?.smoother) ? draft.smoother : fallbackSmoother;
  return { layout, charts, focus, smoother };
}

/** The URL query of a screen: `layout=4&charts=ALFA:1s,BRVO:10s,…&focus=1&smoother=ema`. */
export function screenToQuery(screen: Screen): string {
  const params = new URLSearchParams();
  params.set('layout', screen.layout);
  params.set('charts', screen.charts.map((c) => `${c.symbol}:${c.tf}`).join(','));
  params.set('focus', String(screen.focus));
  params.set('smoother', screen.smoother);
  return params.toString();
}

/** A draft from a URL query; null if the query says nothing about the screen. */
export function queryToDraft(query: string): ScreenDraft | null {
  const params = new URLSearchParams(query.startsWith('?') ? query.slice(1) : query);
  if (!params.has('layout') && !params.has('charts')) {
    return null;
  }
  const charts = (params.get('charts') ?? '')
    .split(',')
    .filter((part) => part !== '')
    .map((part) => {
      const at = part.lastIndexOf(':');
      return at <= 0 ? null : { symbol: part.slice(0, at), tf: part.slice(at + 1) };
    });
  const focus = Number(params.get('focus') ?? '0');
  const draft: { -readonly [K in keyof ScreenDraft]: ScreenDraft[K] } = { charts, focus: Number.isFinite(focus) ? focus : 0 };
  const layout = params.get('layout');
  if (layout !== null) {
    draft.layout = layout;
  }
  const smoother = params.get('smoother');
  if (smoother !== null) {
    draft.smoother = smoother;
  }
  return draft;
}

export function screenToJson(screen: Screen): string {
  return JSON.stringify(screen);
}

/** A draft from stored JSON; null for anything that is not an object. */
export function jsonToDraft(json: string | null): ScreenDraft | null {
  if (json === null) {
    return null;
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return null;
  }
  const obj = value as { readonly [key: string]: unknown };
  const draft: { -readonly [K in keyof ScreenDraft]: ScreenDraft[K] } = {};
  if (typeof obj['layout'] === 'string') {
    draft.layout = obj['layout'];
  }
  if (typeof obj['smoother'] === 'string') {
    draft.smoother = obj['smoother'];
  }
  if (typeof obj['focus'] === 'number') {
    draft.focus = obj['focus'];
  }
  if (Array.isArray(obj['charts'])) {
    draft.charts = (obj['charts'] as unknown[]).map((c) => {
      if (typeof c !== 'object' || c === null) {
        return null;
      }
      const choice = c as { readonly [key: string]: unknown };
      return typeof choice['symbol'] === 'string' && typeof choice['tf'] === 'string' ? { symbol: choice['symbol'], tf: choice['tf'] } : null;
    });
  }
  return draft;
}

/** The URL wins over storage (a shared link opens what it names). */
export function pickDraft(fromUrl: ScreenDraft | null, fromStorage: ScreenDraft | null): ScreenDraft | null {
  return fromUrl ?? fromStorage;
}

export function withLayout(screen: Screen, layout: LayoutKind): Screen {
  return { ...screen, layout, focus: screen.focus < chartCount(layout) ? screen.focus : 0 };
}

export function withChart(screen: Screen, index: number, choice: Partial<ChartChoice>): Screen {
  const charts = screen.charts.map((c, i) => (i === index ? { ...c, ...choice } : c));
  return { ...screen, charts };
}

export function withFocus(screen: Screen, focus: number): Screen {
  return focus >= 0 && focus < chartCount(screen.layout) ? { ...screen, focus } : screen;
}

/** The charts the layout shows. */
export function visibleCharts(screen: Screen): readonly ChartChoice[] {
  return screen.charts.slice(0, chartCount(screen.layout));
}
