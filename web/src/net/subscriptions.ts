// Channel identity (docs/PROTOCOL.md "Channels and streams"): a channel is the pair
// (symbol, stream); `intensity:ema` and `intensity:zlma` are different channels.

import type { Channel } from './protocol';

/** Equal keys are the same server-side channel. */
export function channelKey(channel: Channel): string {
  return `${channel.symbol}\u0000${channel.stream}`;
}

/** A plain copy holding only the protocol's fields (callers may pass richer objects). */
export function copyChannel(channel: Channel): Channel {
  return { symbol: channel.symbol, stream: channel.stream };
}
