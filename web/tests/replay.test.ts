import { describe, expect, it } from 'vitest';
import { encodeClientMessage, parseServerFrame } from '../src/net/protocol';
import { ReplayClock, formatReplayClock } from '../src/ui/replay';

describe('replay', () => {
  it('reads the replay status of an ok and refuses a malformed one', () => {
    const parse = (json: unknown) => parseServerFrame(JSON.stringify(json));
    const ok = parse({ type: 'ok', id: 3, op: 'replay', replay: { paused: true, finished: false, speed: 10, clock_ms: 1_700_000_000_000 } });
    expect(ok).toMatchObject({ ok: true, message: { type: 'ok', op: 'replay', replay: { paused: true, speed: 10, clock_ms: 1_700_000_000_000 } } });
    expect(parse({ type: 'ok', id: 3, op: 'replay', replay: { paused: 'yes' } })).toMatchObject({ ok: false });
    expect(parse({ type: 'ok', id: 4, op: 'subscribe', channels: 2 })).toMatchObject({ ok: true });
    const plain = parse({ type: 'ok', id: 4, op: 'subscribe', channels: 2 });
    expect(plain.ok && 'replay' in plain.message).toBe(false);
    expect(JSON.parse(encodeClientMessage({ op: 'replay', id: 5, action: 'speed', speed: 25 }))).toEqual({ op: 'replay', id: 5, action: 'speed', speed: 25 });
  });

  it('runs the clock on at the replay speed, and stops it while paused or finished', () => {
    const clock = new ReplayClock();
    expect(clock.clockAt(0)).toBeNull();
    clock.apply({ paused: false, finished: false, speed: 10, clock_ms: 1_000_000 }, 5_000);
    expect(clock.clockAt(5_000)).toBe(1_000_000);
    expect(clock.clockAt(6_000)).toBe(1_010_000);
    clock.apply({ paused: true, finished: false, speed: 10, clock_ms: 1_010_000 }, 6_000);
    expect(clock.clockAt(60_000)).toBe(1_010_000);
    clock.apply({ paused: false, finished: true, speed: 10, clock_ms: 1_020_000 }, 7_000);
    expect(clock.clockAt(60_000)).toBe(1_020_000);
    clock.apply({ paused: false, finished: false, speed: 1, clock_ms: 0 }, 7_000);
    expect(clock.clockAt(8_000)).toBeNull(); // before the file's first tick
  });

  it('prints the clock in UTC', () => {
    expect(formatReplayClock(Date.UTC(2026, 11, 2, 14, 30, 5, 900))).toBe('2026-12-02 14:30:05');
    expect(formatReplayClock(null)).toBe('--:--:--');
  });
});
