// Dark/light theme: a `data-theme` attribute on <html> switches the CSS variables;
// the choice is remembered in localStorage.

import { readChartTheme, type ChartTheme } from '../charts/chart_theme';

export type ThemeName = 'dark' | 'light';

const kStorageKey = 'spacetime.theme';

export class ThemeSwitch {
  private readonly root: HTMLElement;
  private readonly listeners = new Set<(theme: ChartTheme) => void>();

  constructor(root: HTMLElement) {
    this.root = root;
    this.set(this.initial());
  }

  current(): ThemeName {
    return this.root.dataset['theme'] === 'light' ? 'light' : 'dark';
  }

  toggle(): ThemeName {
    const next: ThemeName = this.current() === 'dark' ? 'light' : 'dark';
    this.set(next);
    try {
      localStorage.setItem(kStorageKey, next);
    } catch {
      // Storage may be disabled (private mode); the theme still applies to this page.
    }
    const colours = this.chartTheme();
    for (const listener of this.listeners) {
      listener(colours);
    }
    return next;
  }

  /** The chart colours of the active theme, read from the CSS variables. */
  chartTheme(): ChartTheme {
    const style = getComputedStyle(this.root);
    return readChartTheme((name) => style.getPropertyValue(name));
  }

  onChange(listener: (theme: ChartTheme) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private set(theme: ThemeName): void {
    this.root.dataset['theme'] = theme;
  }

  private initial(): ThemeName {
    let stored: string | null = null;
    try {
      stored = localStorage.getItem(kStorageKey);
    } catch {
      stored = null;
    }
    if (stored === 'dark' || stored === 'light') {
      return stored;
    }
    return window.matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
  }
}
