// REST history (docs/PROTOCOL.md "History"): fetches the events of one event channel
// after a seq, page by page (`next_cursor`), so a hole seen on the WebSocket is filled
// instead of left. `fetch` is injected, so the logic runs without a browser in tests.

import {
  parseStream,
  tryParseEvent,
  type Candle,
  type CandleEvent,
  type Channel,
  type MarketEvent,
  type ReversalEvent,
  type SpikeEndEvent,
  type SpikeStartEvent,
} from './protocol';

export type FetchJson = (url: string) => Promise<unknown>;

/** The bearer token for REST requests (auth on), or null (auth off). */
export type BearerSource = () => Promise<string | null>;

let bearerSource: BearerSource = () => Promise.resolve(null);

/** With auth on, every REST request of the page carries `Authorization: Bearer` from `source`. */
export function setBearerSource(source: BearerSource): void {
  bearerSource = source;
}

/** The request headers of a REST call: JSON, and the bearer token when there is one. */
export function restHeaders(token: string | null): Record<string, string> {
  return token === null ? { accept: 'application/json' } : { accept: 'application/json', authorization: `Bearer ${token}` };
}

export const browserFetchJson: FetchJson = async (url) => {
  const response = await fetch(url, { headers: restHeaders(await bearerSource()) });
  if (!response.ok) {
    throw new Error(`GET ${url}: HTTP ${response.status}`);
  }
  return (await response.json()) as unknown;
};

/** The REST path and parameters of an event channel's history; null for value channels. */
export function historyQuery(channel: Channel): { readonly path: string; readonly params: Record<string, string> } | null {
  const id = parseStream(channel.stream);
  if (id === null) {
    return null;
  }
  switch (id.kind) {
    case 'candles':
      return { path: '/api/candles', params: { symbol: channel.symbol, tf: id.tf } };
    case 'ticks':
    case 'spikes':
    case 'reversals':
      return { path: `/api/${id.kind}`, params: { symbol: channel.symbol } };
    default:
      return null;
  }
}

export interface HistoryPage {
  readonly events: readonly MarketEvent[];
  readonly nextCursor: string | null;
  /** Older rows exist (a `tail` page). */
  readonly more: boolean;
  /** Rows that did not parse (left out). */
  readonly rejected: number;
}

/** Validates one page of a history answer; rows take the channel's symbol and stream when they leave them out. */
export function parseHistoryPage(json: unknown, channel: Channel): HistoryPage {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error('history: answer is not an object');
  }
  const obj = json as { readonly [key: string]: unknown };
  const rows = obj['rows'];
  if (!Array.isArray(rows)) {
    throw new Error('history: rows is not an array');
  }
  const cursor = obj['next_cursor'];
  if (cursor !== null && cursor !== undefined && typeof cursor !== 'string' && typeof cursor !== 'number') {
    throw new Error('history: next_cursor is not a string');
  }
  const events: MarketEvent[] = [];
  let rejected = 0;
  rows.forEach((row: unknown, i) => {
    const filled =
      typeof row === 'object' && row !== null && !Array.isArray(row) ? { symbol: channel.symbol, stream: channel.stream, ...row } : row;
    const parsed = tryParseEvent(filled, `rows[${i}]`);
    if (!parsed.ok || parsed.event === null) {
      rejected += 1;
    } else {
      events.push(parsed.event);
    }
  });
  return { events, nextCursor: cursor === null || cursor === undefined ? null : String(cursor), more: obj['more'] === true, rejected };
}

export interface HistoryOptions {
  readonly baseUrl?: string;
  readonly fetchJson?: FetchJson;
  readonly pageLimit?: number;
  readonly maxPages?: number;
  /** Pages of signals per stream under one scroll-back page of candles. */
  readonly maxSignalPages?: number;
}

/** Pages of reversals (and of spike events) fetched under one scroll-back page of candles. */
export const kMaxSignalPages = 10;

export class HistoryClient {
  private readonly baseUrl: string;
  private readonly fetchJson: FetchJson;
  private readonly pageLimit: number;
  private readonly maxPages: number;
  private readonly maxSignalPages: number;

  constructor(options: HistoryOptions = {}) {
    this.baseUrl = options.baseUrl ?? '';
    this.fetchJson = options.fetchJson ?? browserFetchJson;
    this.pageLimit = options.pageLimit ?? 1000;
    this.maxPages = options.maxPages ?? 50;
    this.maxSignalPages = options.maxSignalPages ?? kMaxSignalPages;
  }

  /** The URL of one page. */
  url(channel: Channel, afterSeq: number, cursor: string | null): string | null {
    const query = historyQuery(channel);
    if (query === null) {
      return null;
    }
    const params = new URLSearchParams({ ...query.params, after_seq: String(afterSeq), limit: String(this.pageLimit) });
    if (cursor !== null) {
      params.set('cursor', cursor);
    }
    return `${this.baseUrl}${query.path}?${params.toString()}`;
  }

  /**
   * Up to `limit` closed candles of (symbol, tf) that start before `beforeT` (UTC
   * seconds), oldest first, and whether older ones exist (scroll-back).
   */
  async candlesBefore(
    symbol: string,
    tf: string,
    beforeT: number,
    limit: number,
  ): Promise<{ readonly candles: readonly Candle[]; readonly more: boolean }> {
    const params = new URLSearchParams({ symbol, tf, to: String(beforeT * 1000), tail: '1', limit: String(limit) });
    const channel = { symbol, stream: `candles:${tf}` };
    const page = parseHistoryPage(await this.fetchJson(`${this.baseUrl}/api/candles?${params.toString()}`), channel);
    const candles = page.events.filter((e): e is CandleEvent => e.type === 'candle' && e.closed && e.t < beforeT);
    return { candles, more: page.more && candles.length > 0 };
  }

  /**
   * The reversals and spike events (starts and ends) of `symbol` with `t_ms` in
   * [fromMs, toMs), oldest first (scroll-back of the signals under older candles).
   * Pages of `limit` are asked newest first (`tail`), each ending where the one before
   * began, while the server says `more`, at most `maxSignalPages` pages per stream;
   * `complete` is false when that bound stopped it.
   */
  async signalsBetween(
    symbol: string,
    fromMs: number,
    toMs: number,
    limit: number,
  ): Promise<{
    readonly reversals: readonly ReversalEvent[];
    readonly spikes: readonly (SpikeStartEvent | SpikeEndEvent)[];
    readonly complete: boolean;
  }> {
    const pages = async (stream: 'reversals' | 'spikes'): Promise<{ events: MarketEvent[]; complete: boolean }> => {
      const chunks: (readonly MarketEvent[])[] = [];
      let to = toMs;
      for (let page = 0; page < this.maxSignalPages; page += 1) {
        const params = new URLSearchParams({ symbol, from: String(fromMs), to: String(to), tail: '1', limit: String(limit) });
        const result = parseHistoryPage(await this.fetchJson(`${this.baseUrl}/api/${stream}?${params.toString()}`), { symbol, stream });
        chunks.unshift(result.events);
        const oldest = result.events[0];
        const oldestMs = oldest !== undefined && 't_ms' in oldest ? oldest.t_ms : null;
        if (!result.more || oldestMs === null || oldestMs >= to || oldestMs <= fromMs) {
          return { events: chunks.flat(), complete: true };
        }
        to = oldestMs;
      }
      return { events: chunks.flat(), complete: false };
    };
    const [reversals, spikes] = await Promise.all([pages('reversals'), pages('spikes')]);
    return {
      reversals: reversals.events.filter((e): e is ReversalEvent => e.type === 'reversal'),
      spikes: spikes.events.filter((e): e is SpikeStartEvent | SpikeEndEvent => e.type === 'spike_start' || e.type === 'spike_end'),
      complete: reversals.complete && spikes.complete,
    };
  }

  /**
   * The channel's events with seq in [from, to], oldest first, following
   * `next_cursor` until the range is covered or the history ends.
   */
  async eventsBetween(channel: Channel, from: number, to: number): Promise<MarketEvent[]> {
    const out: MarketEvent[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < this.maxPages; page += 1) {
      const url = this.url(channel, from - 1, cursor);
      if (url === null) {
        return out;
      }
      const result = parseHistoryPage(await this.fetchJson(url), channel);
      let past = false;
      for (const event of result.events) {
        const seq = 'seq' in event ? event.seq : 0;
        if (seq > to) {
          past = true;
        } else if (seq >= from) {
          out.push(event);
        }
      }
      if (past || result.nextCursor === null || result.events.length === 0) {
        break;
      }
      cursor = result.nextCursor;
    }
    return out;
  }
}
