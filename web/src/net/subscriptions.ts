// Identity and comparison of subscriptions. A subscription is a channel: (symbol, tf)
// for candles, (symbol, stream) for an indicator stream (docs/PROTOCOL.md). The
// `smoother` of `intensity` is a parameter of the channel, not part of its identity:
// subscribing again with another smoother changes it.

import { isStreamChannel, type Subscription } from './protocol';

/** The channel a subscription names; equal keys are the same server-side channel. */
export function subscriptionKey(subscription: Subscription): string {
  return isStreamChannel(subscription)
    ? `${subscription.symbol}\u0000stream\u0000${subscription.stream}`
    : `${subscription.symbol}\u0000candles\u0000${subscription.tf}`;
}

/** Same channel and same parameters (nothing to send). */
export function sameSubscription(a: Subscription, b: Subscription): boolean {
  if (subscriptionKey(a) !== subscriptionKey(b)) {
    return false;
  }
  // Equal keys: both are candle channels, or both the same stream.
  return !isStreamChannel(a) || !isStreamChannel(b) || a.stream !== 'intensity' || a.smoother === b.smoother;
}

/** A plain copy holding only the protocol's fields (callers may pass richer objects). */
export function copySubscription(subscription: Subscription): Subscription {
  if (!isStreamChannel(subscription)) {
    return { symbol: subscription.symbol, tf: subscription.tf };
  }
  if (subscription.stream === 'intensity' && subscription.smoother !== undefined) {
    return { symbol: subscription.symbol, stream: subscription.stream, smoother: subscription.smoother };
  }
  return { symbol: subscription.symbol, stream: subscription.stream };
}
