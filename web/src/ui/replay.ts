// The replay bar's model, DOM-free: where a file replay (`serve --feed file`) stands,
// as the server last said (`ok` of a `replay` request), and the replay clock between
// two answers, run on locally at the replay's speed (stopped while paused or finished).

import type { ReplayStatus } from '../net/protocol';

/** Speeds offered in the bar (the server takes 0.1 to 1000). */
export const kReplaySpeeds: readonly number[] = [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000];

export class ReplayClock {
  private status_: ReplayStatus | null = null;
  private receivedMs = 0;

  /** The server's answer, received at `receivedMs` (local wall clock). */
  apply(status: ReplayStatus, receivedMs: number): void {
    this.status_ = status;
    this.receivedMs = receivedMs;
  }

  /** The last status (null: not a replay, or not known yet). */
  status(): ReplayStatus | null {
    return this.status_;
  }

  /** The replay's time (UTC ms) at local time `nowMs`; null before the file's first tick. */
  clockAt(nowMs: number): number | null {
    const s = this.status_;
    if (s === null || s.clock_ms === 0) {
      return null;
    }
    if (s.paused || s.finished) {
      return s.clock_ms;
    }
    return s.clock_ms + Math.max(0, nowMs - this.receivedMs) * s.speed;
  }
}

/** `2026-12-02 14:30:05` (UTC) for a replay clock. */
export function formatReplayClock(ms: number | null): string {
  if (ms === null) {
    return '--:--:--';
  }
  const iso = new Date(Math.floor(ms)).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}
