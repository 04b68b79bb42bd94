// The sidebar: draws the Watchlist model (rows and the live signal feed) into the
// page, at most once per animation frame, and reports clicks on a symbol. On narrow
// screens it is a drawer opened by the menu button (CSS decides when; this file only
// flips `data-open`).

import type { FeedEntry, WatchRow, Watchlist } from './watchlist';

export interface SidebarElements {
  readonly root: HTMLElement;
  readonly watchlist: HTMLElement;
  readonly feed: HTMLElement;
  readonly menuToggle: HTMLButtonElement;
}

export class Sidebar {
  private readonly el: SidebarElements;
  private readonly model: Watchlist;
  private drawn = -1;
  private scheduled = false;

  constructor(elements: SidebarElements, model: Watchlist, openSymbol: (symbol: string) => void) {
    this.el = elements;
    this.model = model;
    const onPick = (event: Event): void => {
      const target = event.target;
      const symbol = target instanceof Element ? target.closest<HTMLElement>('[data-symbol]')?.dataset['symbol'] : undefined;
      if (symbol !== undefined) {
        openSymbol(symbol);
        this.setOpen(false);
      }
    };
    elements.watchlist.addEventListener('click', onPick);
    elements.feed.addEventListener('click', onPick);
    elements.menuToggle.addEventListener('click', () => this.setOpen(elements.root.dataset['open'] !== 'true'));
    // A tap beside the open drawer closes it.
    document.addEventListener('pointerdown', (event) => {
      const target = event.target;
      if (
        elements.root.dataset['open'] === 'true' &&
        target instanceof Node &&
        !elements.root.contains(target) &&
        !elements.menuToggle.contains(target)
      ) {
        this.setOpen(false);
      }
    });
    this.setOpen(false);
  }

  setOpen(open: boolean): void {
    this.el.root.dataset['open'] = String(open);
    this.el.menuToggle.setAttribute('aria-expanded', String(open));
    document.body.classList.toggle('drawer-open', open);
  }

  /** Draws on the next frame if the model changed. */
  invalidate(): void {
    if (this.scheduled || this.model.version() === this.drawn) {
      return;
    }
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.draw();
    });
  }

  private draw(): void {
    this.drawn = this.model.version();
    this.el.watchlist.replaceChildren(...this.model.rows().map(rowElement));
    this.el.feed.replaceChildren(...this.model.feed().map(feedElement));
    this.el.root.dataset['rows'] = String(this.model.rows().length);
    this.el.root.dataset['feed'] = String(this.model.feed().length);
  }
}

function cell(text: string, className: string): HTMLElement {
  const td = document.createElement('td');
  td.className = className;
  td.textContent = text;
  return td;
}

function rowElement(row: WatchRow): HTMLElement {
  const tr = document.createElement('tr');
  tr.dataset['symbol'] = row.symbol;
  tr.dataset['spike'] = String(row.inSpike);
  const dot = cell('', 'spike-dot');
  dot.title = row.inSpike ? 'in a spike' : '';
  const change = cell(row.changePct === null ? '—' : `${row.changePct >= 0 ? '+' : ''}${row.changePct.toFixed(2)}%`, 'change');
  if (row.changePct !== null) {
    change.dataset['direction'] = row.changePct >= 0 ? 'up' : 'down';
  }
  tr.append(dot, cell(row.symbol, 'symbol'), cell(row.last === null ? '—' : row.last.toFixed(row.decimals), 'last'), change);
  return tr;
}

function feedElement(entry: FeedEntry): HTMLElement {
  const li = document.createElement('li');
  li.dataset['symbol'] = entry.symbol;
  li.dataset['kind'] = entry.kind;
  if (entry.direction !== null) {
    li.dataset['direction'] = entry.direction > 0 ? 'up' : 'down';
  }
  const time = document.createElement('time');
  const date = new Date(entry.tMs);
  time.dateTime = date.toISOString();
  time.textContent = date.toISOString().slice(11, 19);
  const symbol = document.createElement('strong');
  symbol.textContent = entry.symbol;
  const text = document.createElement('span');
  text.textContent = entry.text;
  li.append(time, symbol, text);
  return li;
}
