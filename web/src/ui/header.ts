// The header bar: symbol picker and timeframe buttons (for the focused chart),
// intensity smoother picker, last price of the focused chart, layout buttons,
// connection status and the theme toggle. It renders what it is told and reports the
// user's choices.

import type { AppBus, ChartState } from '../bus/topics';
import type { ConnectionStatus } from '../net/socket_client';
import { isSmoother, type Smoother, type SymbolInfo } from '../net/protocol';
import { isLayout, type LayoutKind } from './layout';

export interface HeaderElements {
  readonly symbol: HTMLSelectElement;
  readonly timeframes: HTMLElement;
  readonly smoother: HTMLSelectElement;
  readonly lastPrice: HTMLElement;
  readonly status: HTMLElement;
  readonly themeToggle: HTMLButtonElement;
  readonly layouts: HTMLElement;
  readonly versions: HTMLElement;
}

export interface HeaderActions {
  selectSymbol(symbol: string): void;
  selectTimeframe(tf: string): void;
  selectSmoother(smoother: Smoother): void;
  toggleTheme(): void;
  selectLayout(layout: LayoutKind): void;
  toggleVersion(version: number): void;
}

const kStatusText: Readonly<Record<ConnectionStatus, string>> = {
  connecting: 'connecting…',
  connected: 'connected',
  reconnecting: 'reconnecting…',
  stopped: 'offline',
};

export class Header {
  private readonly el: HeaderElements;
  private symbols: readonly SymbolInfo[] = [];
  private focused = 0;

  constructor(elements: HeaderElements, bus: AppBus, actions: HeaderActions) {
    this.el = elements;
    elements.symbol.addEventListener('change', () => actions.selectSymbol(elements.symbol.value));
    elements.timeframes.addEventListener('click', (event) => {
      const target = event.target;
      if (target instanceof HTMLElement) {
        const tf = target.closest<HTMLElement>('[data-tf]')?.dataset['tf'];
        if (tf !== undefined) {
          actions.selectTimeframe(tf);
        }
      }
    });
    elements.smoother.addEventListener('change', () => {
      const value = elements.smoother.value;
      if (isSmoother(value)) {
        actions.selectSmoother(value);
      }
    });
    elements.themeToggle.addEventListener('click', () => actions.toggleTheme());
    elements.versions.addEventListener('click', (event) => {
      const target = event.target;
      const version = Number(target instanceof HTMLElement ? target.closest<HTMLElement>('[data-version]')?.dataset['version'] : NaN);
      if (Number.isInteger(version)) {
        actions.toggleVersion(version);
      }
    });
    elements.layouts.addEventListener('click', (event) => {
      const target = event.target;
      const layout = target instanceof HTMLElement ? target.closest<HTMLElement>('[data-layout]')?.dataset['layout'] : undefined;
      if (isLayout(layout)) {
        actions.selectLayout(layout);
      }
    });
    bus.on('status', (status) => this.showStatus(status));
    bus.on('chart_state', (state) => this.showPrice(state));
  }

  /**
   * A server error about the page's own requests, in the status tooltip. The page leaves
   * out the answers to the replay bar's requests (`not_replay` after every hello to a
   * live server is no fault).
   */
  showServerError(message: string): void {
    this.el.status.title = `server: ${message}`;
  }

  /** Fills the pickers from the server's `hello`. */
  setOptions(symbols: readonly SymbolInfo[], timeframes: readonly string[]): void {
    this.symbols = symbols;
    this.el.symbol.replaceChildren(
      ...symbols.map((s) => {
        const option = document.createElement('option');
        option.value = s.symbol;
        option.textContent = s.symbol;
        return option;
      }),
    );
    this.el.timeframes.replaceChildren(
      ...timeframes.map((tf) => {
        const button = document.createElement('button');
        button.type = 'button';
        button.dataset['tf'] = tf;
        button.textContent = tf;
        button.setAttribute('aria-pressed', 'false');
        return button;
      }),
    );
  }

  showSelection(symbol: string, tf: string): void {
    this.el.symbol.value = symbol;
    for (const button of this.el.timeframes.querySelectorAll<HTMLButtonElement>('button[data-tf]')) {
      const active = button.dataset['tf'] === tf;
      button.classList.toggle('active', active);
      button.setAttribute('aria-pressed', String(active));
    }
    this.el.lastPrice.textContent = '—';
    delete this.el.lastPrice.dataset['direction'];
  }

  /** The chart whose price the header shows and whose choice the pickers change. */
  setFocusedChart(index: number): void {
    this.focused = index;
  }

  showLayout(layout: LayoutKind): void {
    for (const button of this.el.layouts.querySelectorAll<HTMLButtonElement>('button[data-layout]')) {
      const active = button.dataset['layout'] === layout;
      button.classList.toggle('active', active);
      button.setAttribute('aria-pressed', String(active));
    }
  }

  showVersions(versions: ReadonlySet<number>): void {
    for (const button of this.el.versions.querySelectorAll<HTMLButtonElement>('button[data-version]')) {
      button.setAttribute('aria-pressed', String(versions.has(Number(button.dataset['version']))));
    }
  }

  showSmoother(smoother: Smoother): void {
    this.el.smoother.value = smoother;
  }

  showTheme(theme: 'dark' | 'light'): void {
    this.el.themeToggle.textContent = theme === 'dark' ? 'Light theme' : 'Dark theme';
    this.el.themeToggle.setAttribute('aria-label', `Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`);
  }

  private showStatus(status: ConnectionStatus): void {
    this.el.status.dataset['status'] = status;
    const label = this.el.status.querySelector('.label') ?? this.el.status;
    label.textContent = kStatusText[status];
  }

  private showPrice(state: ChartState): void {
    if (state.chart !== this.focused) {
      return;
    }
    const last = state.last;
    if (last === null) {
      this.el.lastPrice.textContent = '—';
      delete this.el.lastPrice.dataset['direction'];
      return;
    }
    const decimals = this.symbols.find((s) => s.symbol === state.symbol)?.decimals ?? 2;
    this.el.lastPrice.textContent = last.c.toFixed(decimals);
    this.el.lastPrice.dataset['direction'] = last.c >= last.o ? 'up' : 'down';
    this.el.lastPrice.title = `${state.symbol} ${state.tf} · ${state.bars} bars` + (state.missing > 0 ? ` · ${state.missing} missing` : '');
  }
}
