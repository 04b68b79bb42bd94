// Composition root: builds the bus, the socket (protocol v2) with its channel sync
// (duplicates, holes, REST refills, resume), the header and the chart, and wires the
// user's selection (symbol, timeframe, intensity smoother) to the subscriptions.
// Server messages reach the bus once per animation frame.

import './styles.css';
import { EventBus } from './bus/event_bus';
import { FrameQueue } from './bus/frame_queue';
import { routeRefill, routeServerMessage, type AppTopics } from './bus/topics';
import { CandleChart } from './charts/candle_chart';
import { ChannelSync } from './net/channel_sync';
import { HistoryClient } from './net/history';
import type { Channel, HelloMessage, MarketEvent, ServerMessage, Smoother } from './net/protocol';
import { MarketSocket, gatewaySocketUrl } from './net/socket_client';
import { Header } from './ui/header';
import { chartChannels, chooseSelection, smootherOrDefault, type Selection } from './ui/selection';
import { ThemeSwitch } from './ui/theme';

function element<T extends HTMLElement>(selector: string, type: new () => T): T {
  const found = document.querySelector(selector);
  if (!(found instanceof type)) {
    throw new Error(`page: missing element ${selector}`);
  }
  return found;
}

const kSmootherStorageKey = 'spacetime.smoother';

function storedSmoother(): Smoother {
  try {
    return smootherOrDefault(localStorage.getItem(kSmootherStorageKey));
  } catch {
    return smootherOrDefault(null);
  }
}

function storeSmoother(smoother: Smoother): void {
  try {
    localStorage.setItem(kSmootherStorageKey, smoother);
  } catch {
    // Storage may be disabled (private mode); the choice still holds for this page.
  }
}

/** What `window.__spacetime.stats()` returns: the page's view of its channels, for tests. */
export interface PageStats {
  readonly connections: number;
  readonly malformed: number;
  readonly sync: ReturnType<ChannelSync['stats']>;
  readonly charts: readonly {
    readonly symbol: string;
    readonly tf: string;
    readonly dropped: number;
    /** Bars held, oldest first: [t, seq]. */
    readonly bars: readonly (readonly [number, number])[];
  }[];
}

declare global {
  interface Window {
    __spacetime?: { stats(): PageStats };
  }
}

function exposeDebugHook(ws: MarketSocket, sync: ChannelSync, charts: () => readonly CandleChart[]): void {
  window.__spacetime = {
    stats: () => ({
      connections: ws.connectionCount(),
      malformed: ws.malformedCount(),
      sync: sync.stats(),
      charts: charts().map((c) => ({
        symbol: c.channel()?.symbol ?? '',
        tf: c.channel()?.tf ?? '',
        dropped: c.droppedUpdates(),
        bars: c.bars().map((b) => [b.t, b.seq] as const),
      })),
    }),
  };
}

function start(): void {
  const bus = new EventBus<AppTopics>();
  const theme = new ThemeSwitch(document.documentElement);
  let smoother = storedSmoother();
  const chart = new CandleChart(element('#chart', HTMLDivElement), bus, theme.chartTheme(), smoother);
  theme.onChange((colours) => chart.setTheme(colours));

  type Item =
    | { readonly kind: 'message'; readonly message: ServerMessage; readonly received: number }
    | { readonly kind: 'refill'; readonly channel: Channel; readonly events: readonly MarketEvent[] };
  const queue = new FrameQueue<Item>({
    apply: (item) => {
      if (item.kind === 'message') {
        routeServerMessage(bus, item.message, item.received);
      } else {
        routeRefill(bus, item.channel, item.events);
      }
    },
  });
  let socket: MarketSocket | null = null;
  const sync = new ChannelSync({
    history: new HistoryClient(),
    onRefill: (channel, events) => queue.push({ kind: 'refill', channel, events }),
    resubscribe: (channel) => socket?.resubscribe(channel),
    onWarning: (message) => console.warn(`sync: ${message}`),
  });
  const ws = new MarketSocket({
    url: gatewaySocketUrl(window.location),
    onMessage: (message) => {
      const kept = sync.accept(message);
      if (kept !== null) {
        queue.push({ kind: 'message', message: kept, received: Date.now() });
      }
    },
    onStatus: (status) => bus.emit('status', status),
    onMalformed: (reason) => console.warn(`ws: dropped malformed frame: ${reason}`),
    resumeChannels: (subscribed) => sync.resumeChannels(subscribed),
  });
  socket = ws;
  exposeDebugHook(ws, sync, () => [chart]);

  let hello: HelloMessage | null = null;
  let selection: Selection | null = null;

  // Everything the page wants, as one set: the socket unsubscribes what dropped out
  // (the old symbol's streams, the old timeframe) and (re-)subscribes what is new or
  // changed (a new smoother re-subscribes `intensity`).
  const syncSubscriptions = (): void => {
    if (selection !== null) {
      ws.setSubscriptions(chartChannels(selection.symbol.symbol, selection.tf, smoother));
    }
  };

  const select = (next: Selection): void => {
    const previous = selection;
    if (previous !== null && previous.symbol.symbol === next.symbol.symbol && previous.tf === next.tf) {
      return;
    }
    selection = next;
    chart.setChannel({
      symbol: next.symbol.symbol,
      tf: next.tf,
      decimals: next.symbol.decimals,
      tickSize: next.symbol.tick_size,
    });
    header.showSelection(next.symbol.symbol, next.tf);
    syncSubscriptions();
  };

  const header = new Header(
    {
      symbol: element('#symbol', HTMLSelectElement),
      timeframes: element('#timeframes', HTMLDivElement),
      smoother: element('#smoother', HTMLSelectElement),
      lastPrice: element('#last-price', HTMLSpanElement),
      status: element('#status', HTMLDivElement),
      themeToggle: element('#theme-toggle', HTMLButtonElement),
    },
    bus,
    {
      selectSymbol: (symbol) => {
        const info = hello?.symbols.find((s) => s.symbol === symbol);
        if (info !== undefined && selection !== null) {
          select({ symbol: info, tf: selection.tf });
        }
      },
      selectTimeframe: (tf) => {
        if (selection !== null && hello?.timeframes.includes(tf) === true) {
          select({ symbol: selection.symbol, tf });
        }
      },
      selectSmoother: (next) => {
        if (next === smoother) {
          return;
        }
        smoother = next;
        storeSmoother(next);
        chart.setSmoother(next);
        syncSubscriptions();
      },
      toggleTheme: () => header.showTheme(theme.toggle()),
    },
  );
  header.showTheme(theme.current());
  header.showSmoother(smoother);

  bus.on('hello', (message) => {
    hello = message;
    header.setOptions(message.symbols, message.timeframes);
    const next = chooseSelection(message, selection === null ? null : { symbol: selection.symbol.symbol, tf: selection.tf });
    if (next === null) {
      return;
    }
    if (selection !== null && selection.symbol.symbol === next.symbol.symbol && selection.tf === next.tf) {
      // Same channel after a reconnect: the socket has re-subscribed already and the
      // snapshot refills the chart; only the freshly built pickers need the state.
      selection = next;
      header.showSelection(next.symbol.symbol, next.tf);
    } else {
      select(next);
    }
  });
  bus.on('server_error', (error) => {
    const request = ws.requestFor(error.id);
    console.warn(`server: ${error.code}: ${error.message}${request === undefined ? '' : ` (request ${JSON.stringify(request)})`}`);
  });

  ws.start();
}

start();
