import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChannelSync, type EventHistory, type OpenHole } from '../src/net/channel_sync';
import { HistoryClient, parseHistoryPage } from '../src/net/history';
import type { Channel, MarketEvent, ServerMessage, SpikeStartEvent } from '../src/net/protocol';
import { SeqTracker } from '../src/net/seq_tracker';

const spikes: Channel = { symbol: 'ALFA', stream: 'spikes' };
const candles: Channel = { symbol: 'ALFA', stream: 'candles:1s' };

function spike(seq: number): SpikeStartEvent {
  return { type: 'spike_start', symbol: 'ALFA', stream: 'spikes', seq, tick_seq: seq * 10, t_ms: 1_000_000 + seq, intensity: 1, z: 3, price: 1 };
}

function candle(seq: number, closed = true): MarketEvent {
  return { type: 'candle', symbol: 'ALFA', stream: 'candles:1s', tf: '1s', closed, seq, t: 1000 + seq, o: 1, h: 1, l: 1, c: 1, v: 1, n: 1 };
}

function batch(...events: MarketEvent[]): ServerMessage {
  return { type: 'batch', t_send_ms: 0, events, skipped: 0, invalid: [] };
}

function snapshot(channel: Channel, lastSeq: number, events: MarketEvent[], resume = false): ServerMessage {
  return { type: 'snapshot', id: 1, symbol: channel.symbol, stream: channel.stream, resume, last_seq: lastSeq, events, current: null };
}

const seqsOf = (m: ServerMessage | null): number[] =>
  m !== null && (m.type === 'batch' || m.type === 'snapshot') ? m.events.map((e) => ('seq' in e ? e.seq : -1)) : [];

describe('SeqTracker', () => {
  it('takes the next seq, drops duplicates and reports holes', () => {
    const tracker = new SeqTracker();
    expect(tracker.observe(spikes, 5)).toEqual({ kind: 'first' });
    expect(tracker.observe(spikes, 6)).toEqual({ kind: 'next' });
    expect(tracker.observe(spikes, 6)).toEqual({ kind: 'duplicate' });
    expect(tracker.observe(spikes, 3)).toEqual({ kind: 'duplicate' });
    expect(tracker.observe(spikes, 10)).toEqual({ kind: 'gap', from: 7, to: 9 });
    expect(tracker.last(spikes)).toBe(10);
    expect(tracker.stats()).toEqual({ duplicates: 2, gaps: 1, missed: 3 });
  });

  it('keeps channels apart and lists them for resume', () => {
    const tracker = new SeqTracker();
    tracker.reset(spikes, 7);
    tracker.reset(candles, 41);
    expect(tracker.observe(candles, 42)).toEqual({ kind: 'next' });
    expect(tracker.observe(spikes, 8)).toEqual({ kind: 'next' });
    expect(tracker.resumeChannels()).toEqual([
      { symbol: 'ALFA', stream: 'spikes', seq: 8 },
      { symbol: 'ALFA', stream: 'candles:1s', seq: 42 },
    ]);
    tracker.forget(spikes);
    expect(tracker.last(spikes)).toBeUndefined();
  });

  it('moves past a gap notice so the next event is not another hole', () => {
    const tracker = new SeqTracker();
    tracker.reset(spikes, 4);
    expect(tracker.skip(spikes, 5, 9)).toEqual({ from: 5, to: 9 });
    expect(tracker.observe(spikes, 10)).toEqual({ kind: 'next' });
  });
});

/** A history whose answers the test releases by hand. */
function fakeHistory(rows: (channel: Channel, from: number, to: number) => MarketEvent[]) {
  const calls: string[] = [];
  const history: EventHistory = {
    eventsBetween: (channel, from, to) => {
      calls.push(`${channel.stream} ${from}..${to}`);
      return Promise.resolve(rows(channel, from, to));
    },
  };
  return { history, calls };
}

function setupSync(rows: (channel: Channel, from: number, to: number) => MarketEvent[] = () => []) {
  const { history, calls } = fakeHistory(rows);
  const refills: { channel: Channel; seqs: number[] }[] = [];
  const resubscribed: Channel[] = [];
  const sync = new ChannelSync({
    history,
    onRefill: (channel, events) => refills.push({ channel, seqs: events.map((e) => ('seq' in e ? e.seq : -1)) }),
    resubscribe: (channel) => resubscribed.push(channel),
  });
  return { sync, calls, refills, resubscribed };
}

describe('ChannelSync', () => {
  it('drops events whose seq was already seen and counts them', () => {
    const { sync } = setupSync();
    sync.accept(snapshot(spikes, 2, [spike(1), spike(2)]));
    expect(seqsOf(sync.accept(batch(spike(2), spike(3), spike(3), spike(4))))).toEqual([3, 4]);
    expect(sync.stats().duplicates).toBe(2);
    // Samples and candles in progress carry no channel seq and always pass.
    expect(seqsOf(sync.accept(batch(candle(9, false), candle(9, false))))).toEqual([9, 9]);
  });

  it('refetches a hole seen by seq over REST and hands the rows on', async () => {
    const { sync, calls, refills } = setupSync((_, from, to) => Array.from({ length: to - from + 1 }, (__, i) => candle(from + i)));
    sync.accept(snapshot(candles, 41, [candle(40), candle(41)]));
    expect(seqsOf(sync.accept(batch(candle(42), candle(45), candle(46, false))))).toEqual([42, 45, 46]);
    expect(calls).toEqual(['candles:1s 43..44']);
    await Promise.resolve();
    expect(refills).toEqual([{ channel: candles, seqs: [43, 44] }]);
    expect(sync.stats()).toMatchObject({ gaps: 1, missed: 2, refetches: 1, refetched: 2 });
  });

  it('refetches the range of a gap notice and does not count the next event as a hole', async () => {
    const { sync, calls, refills } = setupSync((_, from, to) => Array.from({ length: to - from + 1 }, (__, i) => spike(from + i)));
    sync.accept(snapshot(spikes, 4, [spike(4)]));
    const gap: ServerMessage = { type: 'gap', symbol: 'ALFA', stream: 'spikes', from: 5, to: 9, reason: 'overflow' };
    expect(sync.accept(gap)).toBe(gap);
    expect(seqsOf(sync.accept(batch(spike(10))))).toEqual([10]);
    expect(calls).toEqual(['spikes 5..9']);
    await Promise.resolve();
    expect(refills).toEqual([{ channel: spikes, seqs: [5, 6, 7, 8, 9] }]);
    expect(sync.stats().gaps).toBe(1);
  });

  it('fetches a hole inside a snapshot and between its newest event and its last_seq', () => {
    const { sync, calls } = setupSync();
    sync.accept(snapshot(candles, 45, [candle(40), candle(41), candle(43)]));
    expect(calls).toEqual(['candles:1s 42..42', 'candles:1s 44..45']);
    expect(seqsOf(sync.accept(batch(candle(46))))).toEqual([46]);
    expect(sync.stats().gaps).toBe(0);
  });

  it('does not count the candle in progress as closed when last_seq includes it', () => {
    const { sync, calls } = setupSync();
    const message: ServerMessage = { type: 'snapshot', id: 1, symbol: 'ALFA', stream: 'candles:1s', resume: false, last_seq: 43, events: [candle(42)], current: candle(43, false) };
    expect(sync.accept(message)).toMatchObject({ last_seq: 42 });
    expect(calls).toEqual([]);
    expect(seqsOf(sync.accept(batch(candle(43))))).toEqual([43]);
  });

  it('builds the resume list from the last seqs of the channels still subscribed', () => {
    const { sync } = setupSync();
    sync.accept(snapshot(candles, 41, [candle(41)]));
    sync.accept(snapshot(spikes, 7, []));
    sync.accept(snapshot({ symbol: 'ALFA', stream: 'intensity:ema' }, 0, []));
    sync.accept(batch(candle(42)));
    expect(sync.resumeChannels([candles, spikes, { symbol: 'ALFA', stream: 'intensity:ema' }])).toEqual([
      { symbol: 'ALFA', stream: 'candles:1s', seq: 42 },
      { symbol: 'ALFA', stream: 'spikes', seq: 7 },
    ]);
    expect(sync.resumeChannels([spikes])).toEqual([{ symbol: 'ALFA', stream: 'spikes', seq: 7 }]);
  });

  it('passes a resumed snapshot on without what was already seen, and fetches what it stops short of', async () => {
    const { sync, calls } = setupSync();
    sync.accept(snapshot(candles, 41, [candle(41)]));
    const resumed = sync.accept(snapshot(candles, 46, [candle(41), candle(42), candle(43)], true));
    expect(seqsOf(resumed)).toEqual([42, 43]);
    expect(calls).toEqual(['candles:1s 44..46']);
    expect(sync.stats()).toMatchObject({ resumes: 1, duplicates: 1 });
    expect(seqsOf(sync.accept(batch(candle(47))))).toEqual([47]);
    await Promise.resolve();
  });

  it('subscribes afresh when a resumed channel numbers from scratch (a server that lost its history)', () => {
    const { sync, resubscribed } = setupSync();
    sync.accept(snapshot(candles, 41, [candle(41)]));
    expect(sync.accept(snapshot(candles, 3, [], true))).toBeNull();
    expect(resubscribed).toEqual([candles]);
    expect(sync.stats().restarts).toBe(1);
    // The fresh snapshot restarts the numbering.
    sync.accept(snapshot(candles, 3, [candle(1), candle(2), candle(3)]));
    expect(seqsOf(sync.accept(batch(candle(4))))).toEqual([4]);
    expect(sync.stats().gaps).toBe(0);
  });

  describe('with a failing history', () => {
    beforeEach(() => vi.useFakeTimers());
    afterEach(() => vi.useRealTimers());

    it('retries a failing refetch with a backoff of 0.5 s doubling to 8 s, then gives it up and keeps it open', async () => {
      const times: number[] = [];
      const warnings: string[] = [];
      const holes: (readonly OpenHole[])[] = [];
      const sync = new ChannelSync({
        history: {
          eventsBetween: () => {
            times.push(Date.now());
            return Promise.reject(new Error('HTTP 503'));
          },
        },
        onRefill: () => undefined,
        resubscribe: () => undefined,
        onWarning: (w) => warnings.push(w),
        onHoles: (h) => holes.push(h),
      });
      const t0 = Date.now();
      sync.accept(snapshot(spikes, 1, [spike(1)]));
      sync.accept(batch(spike(3)));
      await vi.advanceTimersByTimeAsync(120_000);
      expect(times.map((t) => t - t0)).toEqual([0, 500, 1500, 3500, 7500, 15500, 23500, 31500, 39500, 47500]);
      expect(sync.stats().refetchFailures).toBe(1);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/refetch of 2..2 given up after 10 attempts/);
      expect(sync.openHoles()).toEqual([{ symbol: 'ALFA', stream: 'spikes', from: 2, to: 2, attempts: 10, failed: true }]);
      expect(holes.at(-1)).toEqual(sync.openHoles());
      // A fresh start of the channel forgets what its old numbering missed.
      sync.forget(spikes);
      expect(sync.openHoles()).toEqual([]);
      expect(holes.at(-1)).toEqual([]);
    });

    it('asks again for what an empty or partial answer left out until the hole is covered', async () => {
      // A store still catching up: nothing at first, then the first half, then all.
      let calls = 0;
      const asked: string[] = [];
      const refilled: number[] = [];
      const holes: (readonly OpenHole[])[] = [];
      const sync = new ChannelSync({
        history: {
          eventsBetween: (_channel, from, to) => {
            calls += 1;
            asked.push(`${from}..${to}`);
            const upTo = calls === 1 ? from - 1 : calls === 2 ? Math.min(to, 4) : to;
            return Promise.resolve(Array.from({ length: Math.max(0, upTo - from + 1) }, (_, i) => spike(from + i)));
          },
        },
        onRefill: (_channel, events) => refilled.push(...events.map((e) => ('seq' in e ? e.seq : -1))),
        resubscribe: () => undefined,
        onHoles: (h) => holes.push(h),
      });
      sync.accept(snapshot(spikes, 1, [spike(1)]));
      sync.accept(batch(spike(8)));
      expect(sync.openHoles()).toMatchObject([{ from: 2, to: 7, failed: false }]);
      await vi.advanceTimersByTimeAsync(0);
      expect(asked).toEqual(['2..7']);
      await vi.advanceTimersByTimeAsync(500);
      expect(asked).toEqual(['2..7', '2..7']);
      expect(sync.openHoles()).toMatchObject([{ from: 5, to: 7, attempts: 2 }]);
      await vi.advanceTimersByTimeAsync(1000);
      expect(asked).toEqual(['2..7', '2..7', '5..7']);
      expect(refilled).toEqual([2, 3, 4, 5, 6, 7]);
      expect(sync.openHoles()).toEqual([]);
      expect(holes.at(-1)).toEqual([]);
      expect(sync.stats()).toMatchObject({ refetches: 1, refetched: 6, refetchFailures: 0 });
    });

    it('opens only what a narrowed hole does not already cover when a range overlaps it', async () => {
      // The first answer brings 5 and 6 of 5..9; a fresh snapshot then asks 7..12.
      let calls = 0;
      const asked: string[] = [];
      const sync = new ChannelSync({
        history: {
          eventsBetween: (_channel, from, to) => {
            calls += 1;
            asked.push(`${from}..${to}`);
            const upTo = calls === 1 ? Math.min(to, 6) : from - 1;
            return Promise.resolve(Array.from({ length: Math.max(0, upTo - from + 1) }, (_, i) => spike(from + i)));
          },
        },
        onRefill: () => undefined,
        resubscribe: () => undefined,
      });
      sync.accept(snapshot(spikes, 9, [1, 2, 3, 4].map(spike)));
      await vi.advanceTimersByTimeAsync(0);
      expect(sync.openHoles()).toMatchObject([{ from: 7, to: 9 }]);
      sync.accept(snapshot(spikes, 12, [1, 2, 3, 4, 5, 6].map(spike)));
      expect(asked).toEqual(['5..9', '10..12']);
      expect(sync.openHoles()).toMatchObject([
        { from: 7, to: 9 },
        { from: 10, to: 12 },
      ]);
      // Wholly covered: nothing new.
      sync.accept(snapshot(spikes, 12, [1, 2, 3, 4, 5, 6].map(spike)));
      expect(asked).toEqual(['5..9', '10..12']);
      expect(sync.openHoles()).toHaveLength(2);
    });

    it('asks again for a given-up hole when a later range meets it', async () => {
      let answer = false;
      const asked: string[] = [];
      const sync = new ChannelSync({
        history: {
          eventsBetween: (_channel, from, to) => {
            asked.push(`${from}..${to}`);
            const rows = answer ? Array.from({ length: to - from + 1 }, (_, i) => spike(from + i)) : [];
            return Promise.resolve(rows);
          },
        },
        onRefill: () => undefined,
        resubscribe: () => undefined,
        maxAttempts: 2,
      });
      sync.accept(snapshot(spikes, 6, [1, 2, 3, 4].map(spike)));
      await vi.advanceTimersByTimeAsync(10_000);
      expect(sync.openHoles()).toMatchObject([{ from: 5, to: 6, failed: true }]);
      expect(asked).toEqual(['5..6', '5..6']);
      // The store caught up; a fresh snapshot's range meets the hole: asked again, filled.
      answer = true;
      sync.accept(snapshot(spikes, 6, [1, 2, 3, 4].map(spike)));
      await vi.advanceTimersByTimeAsync(0);
      expect(asked).toEqual(['5..6', '5..6', '5..6']);
      expect(sync.openHoles()).toEqual([]);
    });
  });
});

describe('HistoryClient', () => {
  it('asks /api/candles after the seq before the hole and follows next_cursor until the range is covered', async () => {
    const urls: string[] = [];
    const pages = [
      { symbol: 'ALFA', series: 'candles', tf: '1s', rows: [candle(43), candle(44)], more: true, next_cursor: '44' },
      { symbol: 'ALFA', series: 'candles', tf: '1s', rows: [candle(45), candle(46), candle(47)], more: true, next_cursor: '47' },
    ];
    const client = new HistoryClient({
      pageLimit: 2,
      fetchJson: (url) => {
        urls.push(url);
        return Promise.resolve(pages[urls.length - 1]);
      },
    });
    const events = await client.eventsBetween(candles, 43, 46);
    expect(events.map((e) => ('seq' in e ? e.seq : -1))).toEqual([43, 44, 45, 46]);
    expect(urls).toEqual([
      '/api/candles?symbol=ALFA&tf=1s&after_seq=42&limit=2',
      '/api/candles?symbol=ALFA&tf=1s&after_seq=42&limit=2&cursor=44',
    ]);
  });

  it('uses /api/spikes and /api/reversals, and stops on the last page', async () => {
    const urls: string[] = [];
    const client = new HistoryClient({
      fetchJson: (url) => {
        urls.push(url);
        return Promise.resolve({ rows: [spike(5)], more: false, next_cursor: null });
      },
    });
    expect(await client.eventsBetween(spikes, 5, 9)).toHaveLength(1);
    await client.eventsBetween({ symbol: 'ALFA', stream: 'reversals' }, 1, 2);
    expect(urls.map((u) => u.split('?')[0])).toEqual(['/api/spikes', '/api/reversals']);
    expect(client.url({ symbol: 'ALFA', stream: 'buffer' }, 0, null)).toBeNull();
  });

  it('asks for the newest candles before a time for scroll-back', async () => {
    const urls: string[] = [];
    const client = new HistoryClient({
      fetchJson: (url) => {
        urls.push(url);
        return Promise.resolve({ rows: [candle(3), candle(4), candle(9)], more: true, next_cursor: null });
      },
    });
    const older = await client.candlesBefore('ALFA', '1s', 1005, 300);
    expect(urls).toEqual(['/api/candles?symbol=ALFA&tf=1s&to=1005000&tail=1&limit=300']);
    expect(older.candles.map((c) => c.seq)).toEqual([3, 4]); // t 1009 is not before 1005
    expect(older.more).toBe(true);
  });

  it('asks for the reversals and spikes under scrolled-back candles, by time range', async () => {
    const urls: string[] = [];
    const reversalRow = { type: 'reversal', seq: 7, tick_seq: 70, t_ms: 1_002_000, version: 2, direction: -1, price: 101, reason: 'extreme_retrace', strength: 3 };
    const client = new HistoryClient({
      fetchJson: (url) => {
        urls.push(url);
        return Promise.resolve(
          url.startsWith('/api/reversals')
            ? { rows: [reversalRow], more: false, next_cursor: null }
            : { rows: [spike(5), { type: 'spike_end', seq: 6, tick_seq: 6, t_ms: 6, t_start_ms: 5, t_peak_ms: 5, t_end_ms: 6, peak_intensity: 9, peak_z: 3.5, ticks: 4, price_start: 100, price_end: 101 }], more: false, next_cursor: null },
        );
      },
    });
    const signals = await client.signalsBetween('ALFA', 1_000_000, 1_005_000, 500);
    expect([...urls].sort()).toEqual([
      '/api/reversals?symbol=ALFA&from=1000000&to=1005000&tail=1&limit=500',
      '/api/spikes?symbol=ALFA&from=1000000&to=1005000&tail=1&limit=500',
    ]);
    expect(signals.reversals.map((e) => [e.symbol, e.seq, e.version])).toEqual([['ALFA', 7, 2]]);
    expect(signals.spikes.map((e) => e.type)).toEqual(['spike_start', 'spike_end']);
  });

  it('follows `more` of the signals under a scroll-back page, newest page first, up to a bound', async () => {
    const urls: string[] = [];
    const reversal = (seq: number) => ({ type: 'reversal', seq, tick_seq: seq, t_ms: 1_000_000 + seq * 1000, version: 1, direction: 1, price: 1, reason: 'r', strength: 1 });
    // 25 reversals in the range, pages of 10 (tail): 16..25, 6..15, 1..5.
    const client = new HistoryClient({
      fetchJson: (url) => {
        urls.push(url);
        const params = new URL(url, 'http://x').searchParams;
        const to = Number(params.get('to'));
        const limit = Number(params.get('limit'));
        if (url.startsWith('/api/spikes')) {
          return Promise.resolve({ rows: [], more: false, next_cursor: null });
        }
        const inRange = Array.from({ length: 25 }, (_, i) => reversal(i + 1)).filter((r) => r.t_ms < to);
        return Promise.resolve({ rows: inRange.slice(-limit), more: inRange.length > limit, next_cursor: null });
      },
    });
    const all = await client.signalsBetween('ALFA', 1_000_000, 1_030_000, 10);
    expect(all.reversals.map((e) => e.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(all.complete).toBe(true);
    expect(urls.filter((u) => u.startsWith('/api/reversals')).map((u) => new URL(u, 'http://x').searchParams.get('to'))).toEqual([
      '1030000',
      '1016000',
      '1006000',
    ]);
    const bounded = new HistoryClient({ fetchJson: (url) => client['fetchJson'](url), maxSignalPages: 2 });
    const some = await bounded.signalsBetween('ALFA', 1_000_000, 1_030_000, 10);
    expect(some.reversals.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 6));
    expect(some.complete).toBe(false);
  });

  it('fills in symbol and stream a row leaves out and skips rows that do not parse', () => {
    const page = parseHistoryPage(
      { rows: [{ type: 'spike_start', seq: 1, tick_seq: 1, t_ms: 5, intensity: 1, z: 3, price: 2 }, { type: 'spike_start', seq: 'x' }], next_cursor: null },
      spikes,
    );
    expect(page.events).toHaveLength(1);
    expect(page.events[0]).toMatchObject({ symbol: 'ALFA', stream: 'spikes', seq: 1 });
    expect(page.rejected).toBe(1);
    expect(() => parseHistoryPage({ rows: 1 }, spikes)).toThrow(/rows/);
  });
});
