// The sidebar: draws the Watchlist model (rows with their intensity sparkline, and the
// live signal feed) into the page, at most every 250 ms and in place (a row's cells
// are written only when their text changes; the feed is rebuilt only when it changed,
// keeping the elements of entries already shown), and reports clicks: a symbol, or a
// signal with its time. On narrow screens it is a drawer opened by the menu button (CSS
// decides when; this file only flips `data-open`).

import { sparklinePoints, type FeedEntry, type WatchRow, type Watchlist } from './watchlist';

/** The sidebar is drawn at most this often: prices ticking faster than that are not read. */
const kDrawEveryMs = 250;
const kSparkWidth = 44;
const kSparkHeight = 16;
const kSvg = 'http://www.w3.org/2000/svg';

/** The cells of one drawn row, to write in place. */
interface RowView {
  readonly tr: HTMLTableRowElement;
  readonly last: HTMLElement;
  readonly change: HTMLElement;
  readonly dot: HTMLElement;
  readonly spark: SVGPolylineElement;
  drawn: WatchRow | null;
}

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
  private drawnFeed = -1;
  private feedViews = new Map<string, HTMLElement>(); // by FeedEntry.key
  private scheduled = false;
  private lastDrawMs = -Infinity;
  private rowViews: RowView[] = [];

  /** `openSymbol` gets the symbol clicked and, for a signal of the feed, its time (ms). */
  constructor(elements: SidebarElements, model: Watchlist, openSymbol: (symbol: string, tMs: number | null) => void) {
    this.el = elements;
    this.model = model;
    const onPick = (event: Event): void => {
      const target = event.target;
      const picked = target instanceof Element ? target.closest<HTMLElement>('[data-symbol]') : null;
      const symbol = picked?.dataset['symbol'];
      if (symbol !== undefined) {
        const tMs = Number(picked?.dataset['tMs']);
        openSymbol(symbol, Number.isFinite(tMs) && picked?.dataset['tMs'] !== undefined ? tMs : null);
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

  /** Draws on a coming frame (at most every 250 ms) if the model changed. */
  invalidate(): void {
    if (this.scheduled || this.model.version() === this.drawn) {
      return;
    }
    this.scheduled = true;
    const wait = Math.max(0, this.lastDrawMs + kDrawEveryMs - performance.now());
    setTimeout(
      () =>
        requestAnimationFrame(() => {
          this.scheduled = false;
          this.lastDrawMs = performance.now();
          this.draw();
        }),
      wait,
    );
  }

  private draw(): void {
    this.drawn = this.model.version();
    const rows = this.model.rows();
    if (rows.length !== this.rowViews.length || rows.some((r, i) => this.rowViews[i]?.tr.dataset['symbol'] !== r.symbol)) {
      this.rowViews = rows.map(rowView);
      this.el.watchlist.replaceChildren(...this.rowViews.map((v) => v.tr));
      this.el.root.dataset['rows'] = String(rows.length);
    }
    rows.forEach((row, i) => drawRow(this.rowViews[i] as RowView, row));
    if (this.model.feedVersion() !== this.drawnFeed) {
      this.drawnFeed = this.model.feedVersion();
      // Entries already shown keep their element (an entry never changes): a rebuild for a
      // new signal does not swap the element under a pointer about to click it.
      const views = new Map<string, HTMLElement>();
      for (const entry of this.model.feed()) {
        views.set(entry.key, this.feedViews.get(entry.key) ?? feedElement(entry));
      }
      this.feedViews = views;
      this.el.feed.replaceChildren(...views.values());
      this.el.root.dataset['feed'] = String(this.model.feed().length);
    }
  }
}

function cell(text: string, className: string): HTMLElement {
  const td = document.createElement('td');
  td.className = className;
  td.textContent = text;
  return td;
}

function rowView(row: WatchRow): RowView {
  const tr = document.createElement('tr');
  tr.dataset['symbol'] = row.symbol;
  const dot = cell('', 'spike-dot');
  const last = cell('—', 'last');
  const change = cell('—', 'change');
  const sparkCell = cell('', 'spark');
  const svg = document.createElementNS(kSvg, 'svg');
  svg.setAttribute('viewBox', `0 0 ${kSparkWidth} ${kSparkHeight}`);
  svg.setAttribute('width', String(kSparkWidth));
  svg.setAttribute('height', String(kSparkHeight));
  svg.setAttribute('aria-hidden', 'true');
  const spark = document.createElementNS(kSvg, 'polyline');
  svg.append(spark);
  sparkCell.append(svg);
  tr.append(dot, cell(row.symbol, 'symbol'), last, change, sparkCell);
  return { tr, last, change, dot, spark, drawn: null };
}

/** Writes what changed since the row was last drawn. */
function drawRow(view: RowView, row: WatchRow): void {
  const old = view.drawn;
  if (old === row) {
    return;
  }
  if (old?.inSpike !== row.inSpike) {
    view.tr.dataset['spike'] = String(row.inSpike);
    view.dot.title = row.inSpike ? 'in a spike' : '';
  }
  if (old?.last !== row.last) {
    view.last.textContent = row.last === null ? '—' : row.last.toFixed(row.decimals);
  }
  if (old?.changePct !== row.changePct) {
    view.change.textContent = row.changePct === null ? '—' : `${row.changePct >= 0 ? '+' : ''}${row.changePct.toFixed(2)}%`;
    if (row.changePct === null) {
      delete view.change.dataset['direction'];
    } else {
      view.change.dataset['direction'] = row.changePct >= 0 ? 'up' : 'down';
    }
  }
  if (old?.spark !== row.spark) {
    view.spark.setAttribute('points', sparklinePoints(row.spark, kSparkWidth, kSparkHeight));
    view.tr.dataset['sparkPoints'] = String(row.spark.length);
  }
  view.drawn = row;
}

function feedElement(entry: FeedEntry): HTMLElement {
  const li = document.createElement('li');
  li.dataset['symbol'] = entry.symbol;
  li.dataset['kind'] = entry.kind;
  li.dataset['tMs'] = String(entry.tMs);
  li.title = 'Open in the focused chart at this time';
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
