// The replay bar in the header: shown only when the server replays a file (its answer to
// a `replay` status request is `ok`, not `not_replay`): the replay clock, pause / resume
// and the speed. It sends `replay` requests through the socket and draws what the server
// answers; between answers the clock runs on locally (ReplayClock).
//
// Steering the replay is an admin operation. With auth on and a user without the `admin`
// role, the controls are shown disabled with a tooltip saying so; the status (the clock)
// is open to every user, so such a user sees the bar with its clock on a replaying server
// and no bar on a live one, like an admin.

import type { ReplayAction, ReplayStatus, RequestId } from '../net/protocol';
import { ReplayClock, formatReplayClock, kReplaySpeeds } from './replay';

export interface ReplayBarElements {
  readonly root: HTMLElement;
  readonly clock: HTMLElement;
  readonly toggle: HTMLButtonElement;
  readonly speed: HTMLSelectElement;
}

/** Sends a replay request; its id, null while disconnected. */
export type SendReplay = (action: ReplayAction, speed?: number) => RequestId | null;

const kTickMs = 250;
export const kAdminOnlyTitle = 'Pause, resume and speed need the admin role';
const kStatusEveryMs = 2_000;

export class ReplayBar {
  private readonly el: ReplayBarElements;
  private readonly send: SendReplay;
  private readonly clock = new ReplayClock();
  private readonly asked = new Set<RequestId>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastStatusAsk = 0;
  private admin = true;

  constructor(elements: ReplayBarElements, send: SendReplay) {
    this.el = elements;
    this.send = send;
    elements.root.hidden = true;
    elements.speed.replaceChildren(
      ...kReplaySpeeds.map((s) => {
        const option = document.createElement('option');
        option.value = String(s);
        option.textContent = `${s}×`;
        return option;
      }),
    );
    elements.toggle.addEventListener('click', () => this.ask(this.clock.status()?.paused === true ? 'resume' : 'pause'));
    elements.speed.addEventListener('change', () => {
      const speed = Number(elements.speed.value);
      if (Number.isFinite(speed) && speed > 0) {
        this.ask('speed', speed);
      }
    });
  }

  /** Whether the user may steer the replay (auth off: yes). */
  setAdmin(admin: boolean): void {
    this.admin = admin;
    for (const control of [this.el.toggle, this.el.speed]) {
      control.disabled = !admin || (control === this.el.toggle && this.clock.status()?.finished === true);
      control.title = admin ? '' : kAdminOnlyTitle;
    }
    this.el.root.dataset['locked'] = String(!admin);
  }

  /** After each hello: is this server replaying a file? */
  probe(): void {
    this.ask('status');
  }

  /** An `ok` answering one of this bar's requests. */
  onOk(id: RequestId | null, status: ReplayStatus | undefined): void {
    if (id === null || !this.asked.delete(id) || status === undefined) {
      return;
    }
    this.clock.apply(status, Date.now());
    this.el.root.hidden = false;
    this.draw();
    if (this.timer === null) {
      this.timer = setInterval(() => this.tick(), kTickMs);
    }
  }

  /**
   * An error answering one of this bar's requests (`not_replay`: the bar stays hidden);
   * true if it was one (the bar has dealt with it), false for anyone else's.
   */
  onError(id: RequestId | null, code: string): boolean {
    if (id === null || !this.asked.delete(id)) {
      return false;
    }
    if (code === 'forbidden') {
      // A control op refused (the roles changed under us): the controls stay, disabled.
      this.setAdmin(false);
      return true;
    }
    if (code === 'not_replay') {
      this.el.root.hidden = true;
      if (this.timer !== null) {
        clearInterval(this.timer);
        this.timer = null;
      }
    }
    return true;
  }

  private ask(action: ReplayAction, speed?: number): void {
    if (!this.admin && action !== 'status') {
      return;
    }
    const id = this.send(action, speed);
    if (id !== null) {
      this.asked.add(id);
      this.lastStatusAsk = Date.now();
    }
  }

  private tick(): void {
    if (Date.now() - this.lastStatusAsk >= kStatusEveryMs && document.visibilityState === 'visible') {
      this.ask('status');
    }
    this.draw();
  }

  private draw(): void {
    const status = this.clock.status();
    const clock = this.clock.clockAt(Date.now());
    const data = this.el.root.dataset;
    this.el.clock.textContent = formatReplayClock(clock);
    data['clockMs'] = String(Math.floor(clock ?? 0));
    if (status === null) {
      return;
    }
    data['paused'] = String(status.paused);
    data['finished'] = String(status.finished);
    data['speed'] = String(status.speed);
    this.el.toggle.textContent = status.paused ? '▶ Resume' : '❚❚ Pause';
    this.el.toggle.setAttribute('aria-pressed', String(status.paused));
    this.el.toggle.disabled = status.finished || !this.admin;
    const value = String(status.speed);
    if (![...this.el.speed.options].some((o) => o.value === value)) {
      const option = document.createElement('option');
      option.value = value;
      option.textContent = `${value}×`;
      this.el.speed.append(option);
    }
    if (document.activeElement !== this.el.speed) {
      this.el.speed.value = value;
    }
  }
}
