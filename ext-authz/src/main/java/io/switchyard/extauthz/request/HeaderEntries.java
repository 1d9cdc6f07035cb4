package io.switchyard.extauthz.request;

/**
 * The request's header map entries as the CheckRequest carried them, each {@code {1: name, 2: value}} in its
 * shortest encoding, in {@link RequestAttributes#headers()} order. A decision record's headers field is a map of the
 * same shape, so an entry whose value is logged unchanged is copied as bytes rather than encoded again.
 */
public final class HeaderEntries {
  private final byte[] wire;
  /** Start and end of each entry in {@code wire}. */
  private final int[] bounds;

  HeaderEntries(byte[] wire, int[] bounds) {
    this.wire = wire;
    this.bounds = bounds;
  }

  /** The length of entry {@code i}. */
  public int length(int i) {
    return bounds[2 * i + 1] - bounds[2 * i];
  }

  /** Copies entry {@code i} to {@code dst} at {@code at}. */
  public void copy(int i, byte[] dst, int at) {
    System.arraycopy(wire, bounds[2 * i], dst, at, length(i));
  }
}
