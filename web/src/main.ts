// Composition root: builds the bus, the socket (protocol v2) with its channel sync
// (duplicates, holes, REST refills, resume), the header, the sidebar and up to four
// independent charts, and wires the screen (layout, each chart's symbol and
// timeframe, the focused chart, the intensity smoother) to the subscriptions, the URL
// and localStorage. Server messages reach the bus once per animation frame; each
// chart takes from the bus what belongs to its channels.
//
// Before any of that the page asks the server whether authentication is on
// (`GET /api/auth/config`). On, it logs in through the OIDC issuer with keycloak-js
// (loaded only then), sends the token as the socket's first message and on every REST
// call, refreshes it on the open socket before it expires, and shows the user with a
// Log out button (src/auth/auth.ts). Off, nothing of that runs.

import './styles.css';
import { EventBus } from './bus/event_bus';
import { FrameQueue } from './bus/frame_queue';
import { routeRefill, routeServerMessage, type AppTopics } from './bus/topics';
import { CandleChart } from './charts/candle_chart';
import { ChannelSync } from './net/channel_sync';
import { AuthSession, keycloakSetup, parseAuthConfig, type AuthConfig, type OidcClient } from './auth/auth';
import { HistoryClient, browserFetchJson, setBearerSource } from './net/history';
import { intensityStream, type Channel, type HelloMessage, type MarketEvent, type ServerMessage, type Smoother } from './net/protocol';
import { MarketSocket, gatewaySocketUrl, type SocketAuth, type WantedChannel } from './net/socket_client';
import { channelKey } from './net/subscriptions';
import { Header } from './ui/header';
import {
  jsonToDraft,
  kMaxCharts,
  offerOf,
  pickDraft,
  queryToDraft,
  resolveScreen,
  screenToJson,
  screenToQuery,
  visibleCharts,
  withChart,
  withFocus,
  withLayout,
  type ChartChoice,
  type Screen,
} from './ui/layout';
import { chartChannels, kSignalHistory, smootherOrDefault } from './ui/selection';
import { kBarsStorageKey, barsSetting } from './ui/bars_setting';
import { ReplayBar } from './ui/replay_bar';
import { Sidebar } from './ui/sidebar';
import { ThemeSwitch } from './ui/theme';
import { Watchlist, parseQuotes } from './ui/watchlist';

function element<T extends HTMLElement>(selector: string, type: new () => T): T {
  const found = document.querySelector(selector);
  if (!(found instanceof type)) {
    throw new Error(`page: missing element ${selector}`);
  }
  return found;
}

const kScreenStorageKey = 'spacetime.screen';
/** Where the smoother was kept before the screen was (still read as a fallback). */
const kSmootherStorageKey = 'spacetime.smoother';
const kQuotesEveryMs = 2_000;
/** History of the watchlist's intensity channels: the sparkline's minute. */
const kSparkHistory = '1m';
const kVersionsStorageKey = 'spacetime.versions';
const kCrosshairSyncStorageKey = 'spacetime.crosshairSync';
/** Time-scale sync, per layout: `{"4": true, "2": false}`. */
const kTimeSyncStorageKey = 'spacetime.timeSync';

/** The layouts with time-scale sync on, as stored (none when nothing readable is). */
function storedTimeSync(): Record<string, boolean> {
  try {
    const value: unknown = JSON.parse(readStorage(kTimeSyncStorageKey) ?? 'null');
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return Object.fromEntries(Object.entries(value).filter((e): e is [string, boolean] => typeof e[1] === 'boolean'));
    }
  } catch {
    // fall through to the default
  }
  return {};
}

/** The reversal versions shown, as stored (all four when nothing readable is). */
function storedVersions(): Set<number> {
  try {
    const value: unknown = JSON.parse(readStorage(kVersionsStorageKey) ?? 'null');
    if (Array.isArray(value)) {
      return new Set(value.filter((v): v is number => typeof v === 'number' && v >= 1 && v <= 4));
    }
  } catch {
    // fall through to the default
  }
  return new Set([1, 2, 3, 4]);
}

function readStorage(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function writeStorage(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Storage may be disabled (private mode); the choice still holds for this page.
  }
}

/** What `window.__spacetime.stats()` returns: the page's view of its channels, for tests. */
export interface PageStats {
  readonly connections: number;
  readonly malformed: number;
  /** Batch entries left out because they broke the contract. */
  readonly invalidEvents: number;
  readonly layout: string;
  /** Rounds of updates applied, the time they took and the longest one (ms). */
  readonly frames: { readonly flushes: number } & ReturnType<FrameQueue<unknown>['timing']>;
  /** Bars each chart keeps (the `bars` setting). */
  readonly maxBars: number;
  /** Live series updates replaced by a newer one of the same bar before being drawn, all charts. */
  readonly coalesced: number;
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
    __spacetime?: {
      stats(): PageStats;
      scrollToOldest(chart: number): void;
      scrollToLatest(chart: number): void;
      /** The time range (UTC seconds) chart `chart` shows, null before it has bars. */
      visibleRange(chart: number): { from: number; to: number } | null;
      /** How many bar slots chart `chart` shows (its zoom), null before it has any. */
      visibleBars(chart: number): number | null;
      /** Starts the measurement window of `stats().frames.window`. */
      markFrames(): void;
      /** Brings time `t` (UTC seconds) into view on chart `chart`, as a click on a feed entry does. */
      showTime(chart: number, t: number): void;
      /** Authentication as the page sees it (null: auth off). */
      auth(): AuthStats | null;
    };
  }
}

/** What `window.__spacetime.auth()` returns (tests). */
export interface AuthStats {
  readonly user: string;
  readonly roles: readonly string[];
  /** `auth` messages sent on the socket, accepted by the server, closes with 4001. */
  readonly socket: ReturnType<MarketSocket['authStats']>;
  /** Token refreshes by the timer and failed ones; the current token's exp (UTC s). */
  readonly session: ReturnType<AuthSession['stats']>;
}

function start(auth: AuthSession | null): void {
  const bus = new EventBus<AppTopics>();
  const theme = new ThemeSwitch(document.documentElement);
  const stage = element('#charts', HTMLElement);
  const cells = [...stage.querySelectorAll<HTMLElement>('.cell')];
  const charts: (CandleChart | null)[] = Array.from({ length: kMaxCharts }, () => null);
  /** What each live chart shows, to tell a change from a repeat. */
  const shown: (ChartChoice | null)[] = Array.from({ length: kMaxCharts }, () => null);
  let hello: HelloMessage | null = null;
  let screen: Screen | null = null;
  let smoother: Smoother = smootherOrDefault(readStorage(kSmootherStorageKey));
  const versions = storedVersions();
  const bars = barsSetting(window.location.search, readStorage(kBarsStorageKey));
  if (bars.fromUrl) {
    writeStorage(kBarsStorageKey, String(bars.bars));
  }
  let crosshairSync = readStorage(kCrosshairSyncStorageKey) !== 'false';
  const syncButton = element('#crosshair-sync', HTMLButtonElement);
  const showSync = (): void => syncButton.setAttribute('aria-pressed', String(crosshairSync));
  showSync();
  syncButton.addEventListener('click', () => {
    crosshairSync = !crosshairSync;
    writeStorage(kCrosshairSyncStorageKey, String(crosshairSync));
    showSync();
  });
  const timeSync = storedTimeSync();
  const timeSyncOn = (): boolean => timeSync[screen?.layout ?? ''] === true;
  const timeSyncButton = element('#time-sync', HTMLButtonElement);
  const showTimeSync = (): void => timeSyncButton.setAttribute('aria-pressed', String(timeSyncOn()));
  timeSyncButton.addEventListener('click', () => {
    if (screen !== null) {
      timeSync[screen.layout] = !timeSyncOn();
      writeStorage(kTimeSyncStorageKey, JSON.stringify(timeSync));
      showTimeSync();
    }
  });

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
    afterFlush: () => bus.emit('frame_end', queue.flushes()),
  });
  let socket: MarketSocket | null = null;
  const history = new HistoryClient();
  const sync = new ChannelSync({
    history,
    onRefill: (channel, events) => queue.push({ kind: 'refill', channel, events }),
    resubscribe: (channel) => socket?.resubscribe(channel),
    onWarning: (message) => console.warn(`sync: ${message}`),
    onHoles: (holes) => bus.emit('sync_holes', holes),
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
    ...(auth === null ? {} : { auth: socketAuth(auth) }),
  });
  socket = ws;
  currentSocket = ws;
  if (auth !== null) {
    showAccount(auth, ws);
  }

  window.__spacetime = {
    stats: () => ({
      connections: ws.connectionCount(),
      malformed: ws.malformedCount(),
      invalidEvents: ws.invalidEventCount(),
      layout: screen?.layout ?? '',
      frames: { flushes: queue.flushes(), ...queue.timing() },
      maxBars: bars.bars,
      coalesced: charts.reduce((sum, c) => sum + (c?.coalescedUpdates() ?? 0), 0),
      sync: sync.stats(),
      charts: charts
        .filter((c): c is CandleChart => c !== null)
        .map((c) => ({
          symbol: c.channel()?.symbol ?? '',
          tf: c.channel()?.tf ?? '',
          dropped: c.droppedUpdates(),
          bars: c.bars().map((b) => [b.t, b.seq] as const),
        })),
    }),
    scrollToOldest: (chart) => charts[chart]?.scrollToOldest(),
    scrollToLatest: (chart) => charts[chart]?.scrollToLatest(),
    visibleRange: (chart) => charts[chart]?.visibleTimeRange() ?? null,
    visibleBars: (chart) => charts[chart]?.visibleBars() ?? null,
    markFrames: () => queue.startWindow(),
    showTime: (chart, t) => charts[chart]?.showTime(t),
    auth: () =>
      auth === null ? null : { user: auth.user().name, roles: auth.user().roles, socket: ws.authStats(), session: auth.stats() },
  };

  // ---- sidebar ----------------------------------------------------------------------
  const watchlist = new Watchlist();
  const sidebar = new Sidebar(
    {
      root: element('#sidebar', HTMLElement),
      watchlist: element('#watchlist', HTMLElement),
      feed: element('#feed', HTMLOListElement),
      menuToggle: element('#menu-toggle', HTMLButtonElement),
    },
    watchlist,
    (symbol, tMs) => {
      if (screen !== null) {
        const focus = screen.focus;
        apply(withChart(screen, focus, { symbol }));
        // A signal opens the focused chart at its time (once its bars are there).
        if (tMs !== null) {
          charts[focus]?.showTime(Math.floor(tMs / 1000));
        }
      }
    },
  );
  bus.on('candle', (event) => {
    watchlist.applyCandle(event);
    sidebar.invalidate();
  });
  bus.on('indicator', (event) => {
    watchlist.applyEvent(event);
    sidebar.invalidate();
  });
  bus.on('stream_snapshot', (snapshot) => {
    if (snapshot.kind === 'spikes' || snapshot.kind === 'reversals' || snapshot.kind === 'intensity') {
      for (const event of snapshot.events) {
        watchlist.applyEvent(event);
      }
      sidebar.invalidate();
    }
  });
  const pollQuotes = (): void => {
    browserFetchJson('/api/symbols').then(
      (json) => {
        watchlist.applyQuotes(parseQuotes(json));
        sidebar.invalidate();
      },
      () => undefined, // the watchlist keeps the live prices it has
    );
  };
  setInterval(() => {
    if (hello !== null && document.visibilityState === 'visible') {
      pollQuotes();
    }
  }, kQuotesEveryMs);

  // ---- screen -----------------------------------------------------------------------
  /** Everything the page wants: each visible chart's channels, plus every symbol's signals for the sidebar. */
  const wantedChannels = (next: Screen): WantedChannel[] => {
    const wanted: WantedChannel[] = visibleCharts(next).flatMap((c) => chartChannels(c.symbol, c.tf, next.smoother));
    const charted = new Set(wanted.map(channelKey));
    for (const symbol of hello?.symbols ?? []) {
      // The watchlist's sparkline; a chart of the symbol already asks for more history.
      const spark = { symbol: symbol.symbol, stream: intensityStream(next.smoother), history: kSparkHistory };
      if (!charted.has(channelKey(spark))) {
        wanted.push(spark);
      }
      wanted.push({ symbol: symbol.symbol, stream: 'spikes', history: kSignalHistory });
      wanted.push({ symbol: symbol.symbol, stream: 'reversals', history: kSignalHistory });
    }
    return wanted;
  };

  const apply = (next: Screen): void => {
    const info = (symbol: string) => hello?.symbols.find((s) => s.symbol === symbol);
    const before = new Set(ws.channels().map(channelKey));
    const restarted: Channel[] = [];
    stage.dataset['layout'] = next.layout;
    visibleCharts(next).forEach((choice, index) => {
      let chart = charts[index] ?? null;
      const container = cells[index]?.querySelector<HTMLElement>('.chart');
      if (chart === null && container !== null && container !== undefined) {
        chart = new CandleChart(container, bus, theme.chartTheme(), next.smoother, bars.bars, index);
        chart.setVersions(versions);
        const from = chart;
        // The crosshair follows the user's pointer across the other charts, each on its own timeframe.
        chart.onCrosshairTime((time) => {
          if (crosshairSync || time === null) {
            for (const other of charts) {
              if (other !== null && other !== from) {
                other.showCrosshairAt(time);
              }
            }
          }
        });
        chart.onVisibleTimeRange((range) => {
          if (timeSyncOn()) {
            for (const other of charts) {
              if (other !== null && other !== from) {
                other.showTimeRange(range);
              }
            }
          }
        });
        chart.setOlderCandles((symbol, tf, beforeT, limit) => history.candlesBefore(symbol, tf, beforeT, limit));
        chart.setOlderSignals((symbol, fromMs, toMs, limit) => history.signalsBetween(symbol, fromMs, toMs, limit));
        charts[index] = chart;
      }
      const old = shown[index] ?? null;
      if (chart !== null && (old === null || old.symbol !== choice.symbol || old.tf !== choice.tf)) {
        const symbol = info(choice.symbol);
        chart.setChannel({ symbol: choice.symbol, tf: choice.tf, decimals: symbol?.decimals ?? 2, tickSize: symbol?.tick_size ?? 0.01 });
        shown[index] = choice;
        // A channel another chart (or the sidebar) already has sends no new snapshot
        // by itself: ask again so this chart opens with its history too.
        restarted.push(...chartChannels(choice.symbol, choice.tf, next.smoother).filter((c) => before.has(channelKey(c))));
      }
      if (chart !== null && next.smoother !== smoother) {
        chart.setSmoother(next.smoother);
      }
    });
    for (let index = visibleCharts(next).length; index < kMaxCharts; index += 1) {
      charts[index]?.dispose();
      charts[index] = null;
      shown[index] = null;
    }
    cells.forEach((cell, index) => cell.classList.toggle('focused', index === next.focus));
    smoother = next.smoother;
    screen = next;
    ws.setSubscriptions(wantedChannels(next));
    const seen = new Set<string>();
    for (const channel of restarted) {
      if (!seen.has(channelKey(channel))) {
        seen.add(channelKey(channel));
        ws.resubscribe(channel);
      }
    }
    const focused = next.charts[next.focus];
    header.setFocusedChart(next.focus);
    if (focused !== undefined) {
      header.showSelection(focused.symbol, focused.tf);
    }
    header.showLayout(next.layout);
    showTimeSync();
    header.showSmoother(next.smoother);
    writeStorage(kScreenStorageKey, screenToJson(next));
    writeStorage(kSmootherStorageKey, next.smoother);
    const query = `?${screenToQuery(next)}${bars.fromUrl ? `&bars=${bars.bars}` : ''}`;
    if (window.location.search !== query) {
      window.history.replaceState(null, '', `${window.location.pathname}${query}${window.location.hash}`);
    }
  };

  const header = new Header(
    {
      symbol: element('#symbol', HTMLSelectElement),
      timeframes: element('#timeframes', HTMLDivElement),
      smoother: element('#smoother', HTMLSelectElement),
      lastPrice: element('#last-price', HTMLSpanElement),
      status: element('#status', HTMLDivElement),
      themeToggle: element('#theme-toggle', HTMLButtonElement),
      layouts: element('#layouts', HTMLDivElement),
      versions: element('#versions', HTMLDivElement),
    },
    bus,
    {
      selectSymbol: (symbol) => {
        if (screen !== null && hello?.symbols.some((s) => s.symbol === symbol) === true) {
          apply(withChart(screen, screen.focus, { symbol }));
        }
      },
      selectTimeframe: (tf) => {
        if (screen !== null && hello?.timeframes.includes(tf) === true) {
          apply(withChart(screen, screen.focus, { tf }));
        }
      },
      selectSmoother: (next) => {
        if (screen !== null && next !== screen.smoother) {
          apply({ ...screen, smoother: next });
        }
      },
      selectLayout: (layout) => {
        if (screen !== null && layout !== screen.layout) {
          apply(withLayout(screen, layout));
        }
      },
      toggleVersion: (version) => {
        if (!versions.delete(version)) {
          versions.add(version);
        }
        writeStorage(kVersionsStorageKey, JSON.stringify([...versions].sort()));
        header.showVersions(versions);
        for (const chart of charts) {
          chart?.setVersions(versions);
        }
      },
      toggleTheme: () => header.showTheme(theme.toggle()),
    },
  );
  header.showVersions(versions);
  header.showTheme(theme.current());
  header.showSmoother(smoother);
  theme.onChange((colours) => {
    for (const chart of charts) {
      chart?.setTheme(colours);
    }
  });
  cells.forEach((cell, index) => {
    cell.addEventListener('pointerdown', () => {
      if (screen !== null && screen.focus !== index) {
        apply(withFocus(screen, index));
      }
    });
  });

  bus.on('hello', (message) => {
    hello = message;
    header.setOptions(message.symbols, message.timeframes);
    watchlist.setSymbols(message.symbols);
    sidebar.invalidate();
    pollQuotes();
    // First hello: the URL, else what was stored. After a reconnect: the screen as it
    // is, checked against what this server offers.
    replayBar.probe();
    const draft = screen ?? pickDraft(queryToDraft(window.location.search), jsonToDraft(readStorage(kScreenStorageKey)));
    const next = resolveScreen(draft, offerOf(message), smoother);
    if (next !== null) {
      apply(next);
    }
  });
  const replayBar = new ReplayBar(
    {
      root: element('#replay', HTMLElement),
      clock: element('#replay-clock', HTMLElement),
      toggle: element('#replay-toggle', HTMLButtonElement),
      speed: element('#replay-speed', HTMLSelectElement),
    },
    (action, speed) => ws.replay(action, speed),
  );
  if (auth !== null) {
    replayBar.setAdmin(auth.isAdmin());
  }
  bus.on('ok', (ok) => replayBar.onOk(ok.id, ok.replay));
  bus.on('server_error', (error) => {
    if (!replayBar.onError(error.id, error.code)) {
      header.showServerError(error.message);
    }
    if (error.code === 'not_replay') {
      return; // the answer to the replay bar's probe: a live server
    }
    const request = ws.requestFor(error.id);
    console.warn(`server: ${error.code}: ${error.message}${request === undefined ? '' : ` (request ${JSON.stringify(request)})`}`);
  });

  ws.start();

  /** Auth on: the token for each connection, the roles of each accepted one. */
  function socketAuth(session: AuthSession): SocketAuth {
    return {
      token: (refused) => session.token(refused),
      onAccepted: (accepted) => {
        replayBar.setAdmin(accepted.roles.includes('admin'));
        showUser(session.user().name, accepted.roles);
      },
      onForbidden: () => showGate('No access', 'Your account has neither the viewer nor the admin role. Ask an administrator for one.', 'Log out', () => logout(session, ws)),
    };
  }
}

const kLoggedOutKey = 'spacetime.loggedOut';

function showUser(name: string, roles: readonly string[]): void {
  const user = element('#user', HTMLElement);
  user.textContent = name;
  user.title = `Roles: ${roles.length === 0 ? 'none' : roles.join(', ')}`;
  user.dataset['roles'] = roles.join(' ');
}

function showAccount(session: AuthSession, ws: MarketSocket): void {
  const account = element('#account', HTMLElement);
  const { name, roles } = session.user();
  showUser(name, roles);
  account.hidden = false;
  element('#logout', HTMLButtonElement).addEventListener('click', () => void logout(session, ws));
}

/**
 * Closes the socket first and waits (at most 1 s) for the close to complete, so the server
 * forgets the session before the page leaves for the provider's logout.
 */
async function logout(session: AuthSession, ws: MarketSocket): Promise<void> {
  await ws.stop();
  try {
    sessionStorage.setItem(kLoggedOutKey, '1');
  } catch {
    // Without session storage the page logs in again when the provider sends it back.
  }
  await session.logout();
}

/** The full-page notice for a logged-out user (or one without access), with one button. */
function showGate(title: string, text: string, button: string, action: () => unknown): void {
  new ThemeSwitch(document.documentElement); // the user's theme, also without the screen
  const gate = element('#auth-gate', HTMLElement);
  element('#auth-gate-title', HTMLElement).textContent = title;
  element('#auth-gate-text', HTMLElement).textContent = text;
  const login = element('#auth-gate-button', HTMLButtonElement);
  login.textContent = button;
  login.onclick = () => void action();
  gate.hidden = false;
  login.focus();
}

/** `GET /api/auth/config`, tried again (1 s, 2 s, … 10 s apart) while the server cannot be reached. */
async function fetchAuthConfig(): Promise<AuthConfig> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      const response = await fetch('/api/auth/config', { headers: { accept: 'application/json' } });
      if (response.status === 404) {
        return { enabled: false }; // a server from before authentication
      }
      if (response.ok) {
        return parseAuthConfig(await response.json());
      }
      console.warn(`auth: GET /api/auth/config: HTTP ${response.status}`);
    } catch (error) {
      console.warn(`auth: GET /api/auth/config: ${String(error)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 1_000 * 2 ** attempt)));
  }
}

/** The page's address for the provider to send the browser back to, without OAuth's parameters. */
function pageUrl(): string {
  const url = new URL(window.location.href);
  url.hash = '';
  for (const name of ['code', 'state', 'session_state', 'iss', 'error', 'error_description', 'error_uri']) {
    url.searchParams.delete(name);
  }
  return url.toString();
}

async function boot(): Promise<void> {
  const config = await fetchAuthConfig();
  if (!config.enabled) {
    start(null);
    return;
  }
  const { default: Keycloak } = await import('keycloak-js');
  const setup = keycloakSetup(config.issuer, config.clientId);
  const session = new AuthSession(new Keycloak(setup.config) as unknown as OidcClient, {
    responseMode: setup.responseMode,
    redirectUri: pageUrl(),
    onRefreshed: (token) => currentSocket?.refreshAuth(token),
    onWarning: (message) => console.warn(message),
  });
  let loggedOut = false;
  try {
    loggedOut = sessionStorage.getItem(kLoggedOutKey) === '1';
  } catch {
    // no session storage: log in
  }
  let authenticated = false;
  try {
    authenticated = await session.start(!loggedOut);
  } catch (error) {
    console.warn(`auth: login failed: ${String(error)}`);
  }
  if (!authenticated) {
    showGate(loggedOut ? 'Logged out' : 'Not logged in', loggedOut ? 'You have logged out of SpaceTime.' : 'The login did not complete.', 'Log in', () => {
      try {
        sessionStorage.removeItem(kLoggedOutKey);
      } catch {
        // nothing kept
      }
      // Start over: the page logs in as on a first visit (also when the issuer was unreachable before).
      window.location.replace(pageUrl());
    });
    return;
  }
  try {
    sessionStorage.removeItem(kLoggedOutKey);
  } catch {
    // nothing kept
  }
  setBearerSource(() => session.token());
  start(session);
}

/** The socket `start` made (for the token refresh to reach it). */
let currentSocket: MarketSocket | null = null;

void boot();
