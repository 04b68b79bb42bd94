import { describe, expect, it } from 'vitest';
import { IndicatorState } from '../src/charts/indicator_state';
import { EventLog } from '../src/charts/event_log';
import type {
  BufferEvent,
  IntensityEvent,
  ReversalEvent,
  Smoother,
  SpikeEndEvent,
  SpikeStartEvent,
  BufferSampleEvent,
  IntensitySampleEvent,
} from '../src/net/protocol';
import type { IndicatorSnapshot, IndicatorStreamKind } from '../src/bus/topics';

const t0 = 1767364260; // UTC seconds

function intensity(tMs: number, value: number | null, smoother: Smoother = 'ema', symbol = 'ALFA'): IntensityEvent {
  return { type: 'intensity', symbol, stream: `intensity:${smoother}`, tick_seq: tMs, t_ms: tMs, raw: 2300, smoother, value };
}

function buffer(tMs: number, baseline: number, zone: BufferEvent['zone'] = 'neutral'): BufferEvent {
  return {
    type: 'buffer',
    symbol: 'ALFA',
    stream: 'buffer',
    tick_seq: tMs,
    t_ms: tMs,
    s: baseline,
    upper: baseline + 100,
    baseline,
    lower: baseline - 100,
    zone,
  };
}

function reversal(tMs: number, seq: number, version = 1): ReversalEvent {
  return {
    type: 'reversal',
    symbol: 'ALFA',
    stream: 'reversals',
    seq,
    tick_seq: seq,
    t_ms: tMs,
    version,
    direction: -1,
    price: 101.38,
    reason: 'climax_fade',
    strength: 6,
  };
}

function spikeStart(tMs: number, seq: number): SpikeStartEvent {
  return { type: 'spike_start', symbol: 'ALFA', stream: 'spikes', seq, tick_seq: seq, t_ms: tMs, intensity: 9100, z: 3.4, price: 101.25 };
}

const spikeEnd: SpikeEndEvent = {
  type: 'spike_end',
  symbol: 'ALFA',
  stream: 'spikes',
  seq: 931,
  tick_seq: 931,
  t_ms: t0 * 1000,
  t_start_ms: t0 * 1000,
  t_peak_ms: t0 * 1000,
  t_end_ms: t0 * 1000,
  peak_intensity: 12000,
  peak_z: 5.1,
  ticks: 32,
  price_start: 101.25,
  price_end: 101.4,
};

function snapshot(
  kind: IndicatorStreamKind,
  events: IndicatorSnapshot['events'],
  extra: { smoother?: Smoother; symbol?: string } = {},
): IndicatorSnapshot {
  return { symbol: extra.symbol ?? 'ALFA', kind, smoother: extra.smoother ?? null, resume: false, events, current: null };
}

describe('IndicatorState: intensity', () => {
  it('ignores intensity until its snapshot, then starts from it', () => {
    const state = new IndicatorState('ALFA', 'ema');
    expect(state.apply(intensity(t0 * 1000, 5))).toEqual({ kind: 'ignored', reason: 'no_snapshot' });
    const change = state.applySnapshot(snapshot('intensity', [intensity(t0 * 1000 + 100, 7)], { smoother: 'ema' }));
    expect(change).toEqual({ kind: 'intensity', change: { kind: 'reset' } });
    expect(state.ready('intensity')).toBe(true);
    expect(state.intensity.points()).toEqual([{ time: t0, value: 7 }]);
  });

  it('folds many events of one second into one point (the latest value)', () => {
    const state = new IndicatorState('ALFA', 'ema');
    state.applySnapshot(snapshot('intensity', [], { smoother: 'ema' }));
    const changes = [100, 200, 300, 900].map((ms, i) => state.apply(intensity(t0 * 1000 + ms, 10 + i)));
    expect(changes.every((c) => c.kind === 'intensity' && c.change.kind === 'last')).toBe(true);
    expect(state.intensity.points()).toEqual([{ time: t0, value: 13 }]);
    const next = state.apply(intensity((t0 + 1) * 1000, 20));
    expect(next).toEqual({ kind: 'intensity', change: { kind: 'last', point: { time: t0 + 1, value: 20 } } });
    expect(state.intensity.size()).toBe(2);
  });

  it('skips warming-up values, other symbols and stale seconds', () => {
    const state = new IndicatorState('ALFA', 'ema');
    state.applySnapshot(snapshot('intensity', [intensity(t0 * 1000, null)], { smoother: 'ema' }));
    expect(state.intensity.size()).toBe(0);
    expect(state.apply(intensity(t0 * 1000, null))).toEqual({ kind: 'ignored', reason: 'warming_up' });
    expect(state.apply(intensity(t0 * 1000, 1, 'ema', 'BRVO'))).toEqual({ kind: 'ignored', reason: 'other_symbol' });
    state.apply(intensity((t0 + 5) * 1000, 1));
    expect(state.apply(intensity((t0 + 4) * 1000, 1))).toEqual({ kind: 'ignored', reason: 'stale' });
  });

  it('keeps at most maxPoints per-second points', () => {
    const state = new IndicatorState('ALFA', 'ema', { maxPoints: 100 });
    state.applySnapshot(snapshot('intensity', [], { smoother: 'ema' }));
    let resets = 0;
    for (let s = 0; s < 1_000; s += 1) {
      const change = state.apply(intensity((t0 + s) * 1000, s));
      if (change.kind === 'intensity' && change.change.kind === 'reset') {
        resets += 1;
      }
      expect(state.intensity.size()).toBeLessThanOrEqual(100);
    }
    expect(resets).toBeGreaterThan(0);
  });

  it('restarts the line on a smoother change, from the new smoother`s snapshot only', () => {
    const state = new IndicatorState('ALFA', 'ema');
    state.applySnapshot(snapshot('intensity', [intensity(t0 * 1000, 7)], { smoother: 'ema' }));
    state.apply(intensity((t0 + 1) * 1000, 8));
    expect(state.setSmoother('ema')).toBe(false);
    expect(state.setSmoother('zlma')).toBe(true);
    expect(state.smoother()).toBe('zlma');
    expect(state.ready('intensity')).toBe(false);
    expect(state.intensity.size()).toBe(0);
    // In flight: the old smoother's events and snapshot.
    expect(state.apply(intensity((t0 + 2) * 1000, 9, 'ema'))).toEqual({ kind: 'ignored', reason: 'other_smoother' });
    expect(state.applySnapshot(snapshot('intensity', [intensity(t0 * 1000, 1, 'ema')], { smoother: 'ema' }))).toEqual({
      kind: 'ignored',
      reason: 'other_smoother',
    });
    expect(state.apply(intensity((t0 + 2) * 1000, 9, 'zlma'))).toEqual({ kind: 'ignored', reason: 'no_snapshot' });
    state.applySnapshot(snapshot('intensity', [intensity((t0 + 2) * 1000, 42, 'zlma')], { smoother: 'zlma' }));
    expect(state.intensity.points()).toEqual([{ time: t0 + 2, value: 42 }]);
    expect(state.apply(intensity((t0 + 3) * 1000, 43, 'zlma')).kind).toBe('intensity');
  });

  it('keeps the line across a re-sent snapshot (reconnect), adding only what is newer', () => {
    const state = new IndicatorState('ALFA', 'ema');
    state.applySnapshot(snapshot('intensity', [intensity(t0 * 1000, 1)], { smoother: 'ema' }));
    state.apply(intensity((t0 + 1) * 1000, 2));
    state.applySnapshot(snapshot('intensity', [intensity((t0 + 9) * 1000, 3)], { smoother: 'ema' }));
    expect(state.intensity.points().map((p) => p.time)).toEqual([t0, t0 + 1, t0 + 9]);
  });
});

describe('IndicatorState: buffer band', () => {
  it('keeps upper / baseline / lower per second after the snapshot', () => {
    const state = new IndicatorState('ALFA', 'ema');
    expect(state.apply(buffer(t0 * 1000, 1000))).toEqual({ kind: 'ignored', reason: 'no_snapshot' });
    state.applySnapshot(snapshot('buffer', [buffer(t0 * 1000, 1000)]));
    state.apply(buffer(t0 * 1000 + 500, 1100));
    state.apply(buffer((t0 + 1) * 1000, 1200));
    expect(state.band.points()).toEqual([
      { time: t0, upper: 1200, baseline: 1100, lower: 1000 },
      { time: t0 + 1, upper: 1300, baseline: 1200, lower: 1100 },
    ]);
    expect(state.apply(buffer((t0 + 2) * 1000, 0, 'not_ready'))).toEqual({ kind: 'ignored', reason: 'warming_up' });
  });
});

describe('IndicatorState: spikes and reversals', () => {
  it('collects reversals from the snapshot and batches, without duplicates', () => {
    const state = new IndicatorState('ALFA', 'ema');
    expect(state.apply(reversal(t0 * 1000, 1))).toEqual({ kind: 'ignored', reason: 'no_snapshot' });
    expect(state.applySnapshot(snapshot('reversals', [reversal(t0 * 1000, 1), reversal(t0 * 1000, 1, 2)]))).toEqual({
      kind: 'reversals',
    });
    expect(state.reversals.size()).toBe(2); // two versions on one tick are two events
    expect(state.apply(reversal((t0 + 1) * 1000, 2))).toEqual({ kind: 'reversals' });
    expect(state.apply(reversal((t0 + 1) * 1000, 2))).toEqual({ kind: 'ignored', reason: 'stale' });
    // A reconnect's snapshot repeats what is held.
    state.applySnapshot(snapshot('reversals', [reversal(t0 * 1000, 1), reversal((t0 + 1) * 1000, 2)]));
    expect(state.reversals.size()).toBe(3);
  });

  it('keeps at most maxEvents reversals', () => {
    const state = new IndicatorState('ALFA', 'ema', { maxEvents: 250 });
    state.applySnapshot(snapshot('reversals', Array.from({ length: 200 }, (_, i) => reversal((t0 + i) * 1000, i))));
    for (let i = 200; i < 400; i += 1) {
      state.apply(reversal((t0 + i) * 1000, i));
    }
    expect(state.reversals.size()).toBe(250);
    expect(state.reversals.events()[0]?.seq).toBe(150);
  });

  it('keeps spike starts and ends apart, and knows whether a spike is on', () => {
    const state = new IndicatorState('ALFA', 'ema');
    state.applySnapshot(snapshot('spikes', [spikeStart(t0 * 1000, 900), spikeEnd]));
    expect(state.spikes.events().map((e) => e.seq)).toEqual([900]);
    expect(state.spikeEnds.events().map((e) => e.seq)).toEqual([931]);
    expect(state.inSpike()).toBe(false);
    expect(state.apply(spikeEnd)).toEqual({ kind: 'ignored', reason: 'stale' });
    expect(state.apply(spikeStart((t0 + 5) * 1000, 990))).toEqual({ kind: 'spikes' });
    expect(state.spikes.size()).toBe(2);
    expect(state.inSpike()).toBe(true);
    const end = { ...spikeEnd, seq: 995, t_ms: (t0 + 7) * 1000, t_start_ms: (t0 + 5) * 1000, t_end_ms: (t0 + 7) * 1000 };
    expect(state.apply(end)).toEqual({ kind: 'spikes' });
    expect(state.inSpike()).toBe(false);
  });

  it('ignores another symbol`s snapshots', () => {
    const state = new IndicatorState('ALFA', 'ema');
    expect(state.applySnapshot(snapshot('reversals', [], { symbol: 'BRVO' }))).toEqual({
      kind: 'ignored',
      reason: 'other_symbol',
    });
    expect(state.ready('reversals')).toBe(false);
  });
});

describe('IndicatorState: v2 history samples', () => {
  it('opens the intensity line and the band with the snapshot samples and the current value', () => {
    const state = new IndicatorState('ALFA', 'ema');
    const sample = (tMs: number, value: number | null): IntensitySampleEvent => ({
      type: 'intensity_sample',
      symbol: 'ALFA',
      stream: 'intensity:ema',
      smoother: 'ema',
      seq: tMs,
      t_ms: tMs,
      raw: 1,
      raw_min: 0,
      raw_max: 2,
      value,
    });
    state.applySnapshot({
      symbol: 'ALFA',
      kind: 'intensity',
      smoother: 'ema',
      resume: false,
      events: [sample(t0 * 1000, null), sample(t0 * 1000 + 100, 5), sample((t0 + 1) * 1000, 6)],
      current: intensity((t0 + 2) * 1000, 7),
    });
    expect(state.intensity.points()).toEqual([
      { time: t0, value: 5 },
      { time: t0 + 1, value: 6 },
      { time: t0 + 2, value: 7 },
    ]);
    const band = (tMs: number, zone: BufferSampleEvent['zone']): BufferSampleEvent => ({
      type: 'buffer_sample',
      symbol: 'ALFA',
      stream: 'buffer',
      seq: tMs,
      t_ms: tMs,
      s: 1,
      upper: zone === 'not_ready' ? null : 3,
      baseline: zone === 'not_ready' ? null : 2,
      lower: zone === 'not_ready' ? null : 1,
      zone,
    });
    state.applySnapshot({ symbol: 'ALFA', kind: 'buffer', smoother: null, resume: false, events: [band(t0 * 1000, 'not_ready'), band((t0 + 1) * 1000, 'low')], current: null });
    expect(state.band.points()).toEqual([{ time: t0 + 1, upper: 3, baseline: 2, lower: 1 }]);
  });
});

describe('EventLog.addOlder (scroll-back)', () => {
  it('adds older events only while there is room, never pushing out what is held', () => {
    const log = new EventLog<{ t: number }>(4, (e) => String(e.t), (e) => e.t);
    log.add([{ t: 10 }, { t: 11 }]);
    // Newest of the older page first: 8 and 9 fit, 5 and 6 do not.
    expect(log.addOlder([{ t: 5 }, { t: 6 }, { t: 8 }, { t: 9 }])).toBe(2);
    expect(log.events().map((e) => e.t)).toEqual([8, 9, 10, 11]);
    expect(log.addOlder([{ t: 1 }])).toBe(0);
    // Duplicates are not added twice.
    const other = new EventLog<{ t: number }>(10, (e) => String(e.t), (e) => e.t);
    other.add([{ t: 3 }]);
    expect(other.addOlder([{ t: 2 }, { t: 3 }])).toBe(1);
    expect(other.events().map((e) => e.t)).toEqual([2, 3]);
  });
});
