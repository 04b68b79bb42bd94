// Timeframe labels as the gateway spells them ("1s", "10s", "1m", "1h", "1d", "1w").

const kUnitSeconds: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 };

/** Length of the timeframe in seconds, or null for a label this client cannot read. */
export function timeframeSeconds(tf: string): number | null {
  const match = /^(\d+)([smhdw])$/.exec(tf);
  if (match === null) {
    return null;
  }
  const count = Number(match[1]);
  const unit = kUnitSeconds[match[2] ?? ''];
  return unit === undefined || count <= 0 ? null : count * unit;
}
