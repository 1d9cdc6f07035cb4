package io.switchyard.xds.server;

import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;

/**
 * Discovery callbacks that keep state per stream: the library reports a stream's end through two callbacks, with
 * and without an error, and both must drop that state, or a long-lived server would grow with every stream.
 */
abstract class StreamScopedCallbacks implements DiscoveryServerCallbacks {
  @Override
  public final void onStreamClose(long streamId, String typeUrl) {
    streamClosed(streamId);
  }

  @Override
  public final void onStreamCloseWithError(long streamId, String typeUrl, Throwable error) {
    streamClosed(streamId);
  }

  /** Drops what is kept for {@code streamId}; called once per stream, from the thread that ends it. */
  abstract void streamClosed(long streamId);
}
