import { describe, expect, it } from 'vitest';
import { CandleBuffer } from '../src/charts/candle_buffer';
import type { CandleSnapshot } from '../src/bus/topics';
import type { Candle, CandleEvent } from '../src/net/protocol';

const channel = { symbol: 'ALFA', tf: '1s' };

/** Candle number `seq` of a 1 s channel: bucket t = 1000 + seq. */
function bar(seq: number, c = 10 + seq): Candle {
  return { t: 1000 + seq, o: 10, h: Math.max(10, c), l: Math.min(10, c), c, v: seq * 10, n: 1, seq };
}

function event(seq: number, closed: boolean, c?: number, ch = channel): CandleEvent {
  return { type: 'candle', symbol: ch.symbol, stream: `candles:${ch.tf}`, tf: ch.tf, closed, ...bar(seq, c) };
}

function snapshot(closedSeqs: number[], currentSeq: number | null, ch = channel, resume = false): CandleSnapshot {
  return {
    symbol: ch.symbol,
    tf: ch.tf,
    resume,
    last_seq: closedSeqs.at(-1) ?? 0,
    candles: closedSeqs.map((s) => event(s, true, undefined, ch)),
    current: currentSeq === null ? null : event(currentSeq, false, undefined, ch),
  };
}

const seqs = (buffer: CandleBuffer): number[] => buffer.bars().map((b) => b.seq);

describe('CandleBuffer', () => {
  it('takes the snapshot history plus the candle in progress', () => {
    const buffer = new CandleBuffer(channel);
    expect(buffer.applySnapshot(snapshot([1, 2, 3], 4))).toBe(true);
    expect(seqs(buffer)).toEqual([1, 2, 3, 4]);
    expect(buffer.ready()).toBe(true);
  });

  it('ignores a snapshot of another channel', () => {
    const buffer = new CandleBuffer(channel);
    expect(buffer.applySnapshot(snapshot([1], null, { symbol: 'ALFA', tf: '10s' }))).toBe(false);
    expect(buffer.bars()).toEqual([]);
    expect(buffer.ready()).toBe(false);
  });

  it('ignores updates before the snapshot and of other channels', () => {
    const buffer = new CandleBuffer(channel);
    expect(buffer.apply(event(1, false))).toEqual({ kind: 'ignored', reason: 'no_snapshot' });
    buffer.applySnapshot(snapshot([1], 2));
    expect(buffer.apply(event(3, false, 11, { symbol: 'BETA', tf: '1s' }))).toEqual({
      kind: 'ignored',
      reason: 'other_channel',
    });
    expect(seqs(buffer)).toEqual([1, 2]);
  });

  it('replaces the bar in progress and appends new ones', () => {
    const buffer = new CandleBuffer(channel);
    buffer.applySnapshot(snapshot([1, 2], 3));
    expect(buffer.apply(event(3, false, 20)).kind).toBe('last');
    expect(buffer.last()?.c).toBe(20);
    expect(buffer.apply(event(3, true, 21)).kind).toBe('last');
    expect(buffer.apply(event(4, false, 22)).kind).toBe('last');
    expect(seqs(buffer)).toEqual([1, 2, 3, 4]);
    expect(buffer.bars().map((b) => b.c)).toEqual([11, 12, 21, 22]);
    expect(buffer.gaps()).toBe(0);
  });

  it('lets a later bar with the same number replace a bar in progress that never closed', () => {
    const buffer = new CandleBuffer(channel);
    buffer.applySnapshot(snapshot([1, 2], 3));
    // The server restarted: bar 3 never closed; the new server's bar 3 is a later bucket.
    const later: CandleEvent = { ...event(3, false), t: 1000 + 9 };
    expect(buffer.apply(later).kind).toBe('reset');
    expect(buffer.bars().map((b) => [b.t, b.seq])).toEqual([[1001, 1], [1002, 2], [1009, 3]]);
    expect(buffer.replaced).toBe(1);
    // The restarted server may have closed that bar already: its close replaces it too.
    const other = new CandleBuffer(channel);
    other.applySnapshot(snapshot([1, 2], 3));
    expect(other.apply({ ...event(3, true), t: 1000 + 9 }).kind).toBe('reset');
    expect(other.bars().map((b) => [b.t, b.seq])).toEqual([[1001, 1], [1002, 2], [1009, 3]]);
    // A closed bar is never replaced that way.
    expect(buffer.apply({ ...event(4, true), t: 1010 }).kind).toBe('last');
    expect(buffer.apply({ ...event(4, false), t: 1011 }).kind).toBe('ignored');
  });

  it('ignores in-progress updates older than the last bar', () => {
    const buffer = new CandleBuffer(channel);
    buffer.applySnapshot(snapshot([1, 2], 3));
    buffer.apply(event(4, false));
    expect(buffer.apply(event(3, false, 99))).toEqual({ kind: 'ignored', reason: 'stale' });
    expect(buffer.bars().map((b) => b.c)).toEqual([11, 12, 13, 14]);
  });

  it('does not let a late in-progress update overwrite a closed candle', () => {
    const buffer = new CandleBuffer(channel);
    buffer.applySnapshot(snapshot([1, 2, 3], null));
    expect(buffer.apply(event(3, false, 99))).toEqual({ kind: 'ignored', reason: 'stale' });
    expect(buffer.last()?.c).toBe(13);
  });

  it('applies the final values of an older bar it still holds as a historical update', () => {
    const buffer = new CandleBuffer(channel);
    buffer.applySnapshot(snapshot([1], 2));
    buffer.apply(event(3, false)); // bucket 3 started before the close of 2 was seen
    expect(buffer.apply(event(2, true, 50))).toEqual({ kind: 'historical', bar: bar(2, 50) });
    expect(buffer.bars().map((b) => b.c)).toEqual([11, 50, 13]);
  });

  it('replaces a closed bar revised after a trade correction, in place and without a gap', () => {
    const buffer = new CandleBuffer(channel);
    buffer.applySnapshot(snapshot([1, 2, 3], 4));
    const revised: CandleEvent = { ...event(2, true, 7), revised: true };
    expect(buffer.apply(revised)).toEqual({ kind: 'historical', bar: bar(2, 7) });
    expect(buffer.bars()[1]?.c).toBe(7);
    expect(buffer.apply({ ...event(9, true, 7), revised: true })).toEqual({ kind: 'ignored', reason: 'stale' });
    // The numbering goes on from the last new close.
    expect(buffer.apply(event(4, true)).kind).toBe('last');
    expect(buffer.gaps()).toBe(0);
  });

  it('ignores a closed candle it has already closed', () => {
    const buffer = new CandleBuffer(channel);
    buffer.applySnapshot(snapshot([1, 2, 3], 4));
    expect(buffer.apply(event(3, true, 99))).toEqual({ kind: 'ignored', reason: 'duplicate' });
    expect(buffer.gaps()).toBe(0);
  });

  it('says how many closed candles are missing until refills (or late closes) fill them', () => {
    const buffer = new CandleBuffer(channel);
    buffer.applySnapshot(snapshot([40, 41, 44], 45)); // 42 and 43 missing inside the snapshot
    expect(buffer.missing()).toBe(2);
    buffer.apply(event(48, true)); // 45..47 missing
    expect(buffer.missing()).toBe(5);
    expect(buffer.refill({ symbol: 'ALFA', tf: '1s', candles: [event(42, true), event(43, true), event(46, true)] })).toBe(true);
    expect(buffer.missing()).toBe(2);
    buffer.refill({ symbol: 'ALFA', tf: '1s', candles: [event(45, true), event(47, true)] });
    expect(buffer.missing()).toBe(0);
    // What was ever seen stays counted.
    expect(buffer.gaps()).toBe(1);
    expect(buffer.missed()).toBe(3);
    expect(seqs(buffer)).toEqual([40, 41, 42, 43, 44, 45, 46, 47, 48]);
  });

  it('merges a fresh snapshot of the channel it holds: older bars (scroll-back) stay', () => {
    const buffer = new CandleBuffer(channel);
    buffer.applySnapshot(snapshot([10, 11, 12], 13));
    expect(buffer.prepend([bar(7), bar(8), bar(9)])).toBe(3);
    // Another chart opens the same channel: the server sends its snapshot again.
    buffer.apply(event(13, true));
    buffer.applySnapshot(snapshot([11, 12, 13, 14], 15));
    expect(seqs(buffer)).toEqual([7, 8, 9, 10, 11, 12, 13, 14, 15]);
    expect(buffer.mergedOnSnapshot()).toBe(4);
    expect(buffer.apply(event(15, true)).kind).toBe('last');
    expect(buffer.gaps()).toBe(0);
  });

  it('replaces what it holds when a fresh snapshot numbers the channel from scratch', () => {
    const buffer = new CandleBuffer(channel);
    buffer.applySnapshot(snapshot([40, 41], 42));
    buffer.apply(event(45, true));
    expect(buffer.missing()).toBe(3);
    const restarted: CandleSnapshot = { ...snapshot([], null), last_seq: 2, candles: [event(61, true)].map((e) => ({ ...e, seq: 2 })) };
    buffer.applySnapshot(restarted);
    expect(buffer.bars().map((b) => [b.t, b.seq])).toEqual([[1061, 2]]);
    expect(buffer.mergedOnSnapshot()).toBe(0);
    expect(buffer.missing()).toBe(0);
  });

  it('counts a seq gap between closed candles', () => {
    const buffer = new CandleBuffer(channel);
    buffer.applySnapshot(snapshot([40, 41], 42));
    buffer.apply(event(43, true)); // 42 never closed on this client
    expect(buffer.gaps()).toBe(1);
    expect(buffer.missed()).toBe(1);
    buffer.apply(event(44, true));
    expect(buffer.gaps()).toBe(1);
    buffer.apply(event(47, true)); // 45 and 46 missing
    expect(buffer.gaps()).toBe(2);
    expect(buffer.missed()).toBe(3);
    expect(seqs(buffer)).toEqual([40, 41, 42, 43, 44, 47]);
  });

  it('expects the in-progress snapshot candle to be the next one to close', () => {
    const buffer = new CandleBuffer(channel);
    buffer.applySnapshot(snapshot([], 42));
    buffer.apply(event(42, true));
    expect(buffer.gaps()).toBe(0);
    buffer.apply(event(44, true));
    expect(buffer.gaps()).toBe(1);
  });

  it('starts counting at the first closed candle when the snapshot is empty', () => {
    const buffer = new CandleBuffer(channel);
    buffer.applySnapshot(snapshot([], null));
    buffer.apply(event(7, true));
    buffer.apply(event(8, true));
    expect(buffer.gaps()).toBe(0);
    expect(seqs(buffer)).toEqual([7, 8]);
  });

  it('restarts from a new snapshot, e.g. after a reconnect', () => {
    const buffer = new CandleBuffer(channel);
    buffer.applySnapshot(snapshot([1, 2], 3));
    buffer.applySnapshot(snapshot([5, 6, 7, 8], 9));
    expect(seqs(buffer)).toEqual([5, 6, 7, 8, 9]);
    buffer.apply(event(9, true));
    expect(buffer.gaps()).toBe(0);
  });

  it('keeps snapshot bars strictly increasing in time', () => {
    const buffer = new CandleBuffer(channel);
    const message: CandleSnapshot = {
      symbol: 'ALFA',
      tf: '1s',
      resume: false,
      last_seq: 2,
      candles: [event(1, true), event(2, true), event(2, true, 30), event(1, true)],
      current: event(2, false, 40),
    };
    buffer.applySnapshot(message);
    expect(buffer.bars().map((b) => [b.t, b.c])).toEqual([
      [1001, 11],
      [1002, 40],
    ]);
  });

  it('drops the oldest bars past its bound and asks for a full reset', () => {
    const buffer = new CandleBuffer(channel, 10);
    buffer.applySnapshot(snapshot([1, 2, 3, 4, 5, 6, 7, 8, 9], 10));
    expect(buffer.bars()).toHaveLength(10);
    expect(buffer.apply(event(11, false))).toEqual({ kind: 'reset' });
    expect(seqs(buffer)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('continues with a resumed snapshot instead of replacing the bars', () => {
    const buffer = new CandleBuffer(channel);
    buffer.applySnapshot(snapshot([1, 2, 3], 4));
    buffer.applySnapshot(snapshot([3, 4, 5], 6, channel, true));
    expect(seqs(buffer)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(buffer.gaps()).toBe(0);
    expect(buffer.dropped()).toBe(1); // closed 3 again
  });

  it('puts refetched candles into the hole they fill', () => {
    const buffer = new CandleBuffer(channel);
    buffer.applySnapshot(snapshot([1, 2], 3));
    buffer.apply(event(6, true));
    expect(seqs(buffer)).toEqual([1, 2, 3, 6]);
    expect(buffer.gaps()).toBe(1);
    expect(buffer.refill({ symbol: 'ALFA', tf: '1s', candles: [event(3, true), event(4, true), event(5, true)] })).toBe(true);
    expect(seqs(buffer)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(buffer.bars().map((b) => b.t)).toEqual([1001, 1002, 1003, 1004, 1005, 1006]);
    // The same rows again change nothing; another channel's are not taken.
    expect(buffer.refill({ symbol: 'ALFA', tf: '1s', candles: [event(4, true)] })).toBe(false);
    expect(buffer.refill({ symbol: 'BETA', tf: '1s', candles: [event(7, true)] })).toBe(false);
  });

  it('counts a hole filled by a bar it already showed as a change', () => {
    // The close of 3 was lost; its last update in progress had the values it closed with.
    const buffer = new CandleBuffer(channel);
    buffer.applySnapshot(snapshot([1, 2], 3));
    buffer.apply(event(4, false));
    buffer.apply(event(4, true));
    expect(buffer.missing()).toBe(1);
    // The refetched close changes no bar, but the hole is gone: the chart must redraw its
    // counters (it does only when refill() says something changed).
    expect(buffer.refill({ symbol: 'ALFA', tf: '1s', candles: [event(3, true)] })).toBe(true);
    expect(buffer.missing()).toBe(0);
    expect(seqs(buffer)).toEqual([1, 2, 3, 4]);
    expect(buffer.refill({ symbol: 'ALFA', tf: '1s', candles: [event(3, true)] })).toBe(false);
  });

  it('takes a revised bar whose only change is its high or low', () => {
    const buffer = new CandleBuffer(channel);
    buffer.applySnapshot(snapshot([1, 2, 3], 4));
    const old = buffer.bars()[1];
    if (old === undefined) throw new Error('no bar');
    // A replaced trade of the same size inside the bar: same seq, count, close and volume.
    const revised: CandleEvent = { ...event(2, true), h: old.h + 5, l: old.l - 1, revised: true };
    expect(buffer.refill({ symbol: 'ALFA', tf: '1s', candles: [revised] })).toBe(true);
    expect(buffer.bars()[1]?.h).toBe(old.h + 5);
    expect(buffer.bars()[1]?.l).toBe(old.l - 1);
  });

  it('never moves time backwards: a stale update is dropped and counted', () => {
    const buffer = new CandleBuffer(channel);
    buffer.applySnapshot(snapshot([1, 2, 3], 4));
    // An in-progress update of an older bar (out of order) does not reach the chart.
    expect(buffer.apply(event(2, false))).toEqual({ kind: 'ignored', reason: 'stale' });
    expect(buffer.apply(event(5, false))).toEqual({ kind: 'last', bar: bar(5) });
    expect(buffer.apply(event(4, false))).toEqual({ kind: 'ignored', reason: 'stale' });
    expect(buffer.dropped()).toBe(2);
    const times = buffer.bars().map((b) => b.t);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('puts older history before the first bar, within its bound', () => {
    const buffer = new CandleBuffer(channel, 6);
    buffer.applySnapshot(snapshot([5, 6], 7));
    expect(buffer.prepend([bar(4), bar(2), bar(3), bar(6), bar(1)])).toBe(3);
    expect(seqs(buffer)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(buffer.prepend([bar(1)])).toBe(0); // full
  });
});
