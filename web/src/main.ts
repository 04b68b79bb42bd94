// Composition root: builds the bus, the socket, the header and the chart, and wires
// the user's selection (symbol, timeframe, intensity smoother) to the subscriptions.

import './styles.css';
import { EventBus } from './bus/event_bus';
import { routeServerMessage, type AppTopics } from './bus/topics';
import { CandleChart } from './charts/candle_chart';
import type { HelloMessage, Smoother } from './net/protocol';
import { MarketSocket, gatewaySocketUrl } from './net/socket_client';
import { Header } from './ui/header';
import { chooseSelection, pageSubscriptions, smootherOrDefault, type Selection } from './ui/selection';
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

function start(): void {
  const bus = new EventBus<AppTopics>();
  const theme = new ThemeSwitch(document.documentElement);
  let smoother = storedSmoother();
  const chart = new CandleChart(element('#chart', HTMLDivElement), bus, theme.chartTheme(), smoother);
  theme.onChange((colours) => chart.setTheme(colours));

  const socket = new MarketSocket({
    url: gatewaySocketUrl(window.location),
    onMessage: (message) => routeServerMessage(bus, message),
    onStatus: (status) => bus.emit('status', status),
    onMalformed: (reason) => console.warn(`ws: dropped malformed frame: ${reason}`),
  });

  let hello: HelloMessage | null = null;
  let selection: Selection | null = null;

  // Everything the page wants, as one set: the socket unsubscribes what dropped out
  // (the old symbol's streams, the old timeframe) and (re-)subscribes what is new or
  // changed (a new smoother re-subscribes `intensity`).
  const syncSubscriptions = (): void => {
    if (selection !== null) {
      socket.setSubscriptions(pageSubscriptions(selection.symbol.symbol, selection.tf, smoother));
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
  bus.on('server_error', (error) => console.warn(`server: ${error.message}`));

  socket.start();
}

start();
