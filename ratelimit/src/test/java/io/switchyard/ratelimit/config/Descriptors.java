package io.switchyard.ratelimit.config;

import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;

/** Builds request descriptors from alternating key/value strings. */
public final class Descriptors {
  private Descriptors() {}

  public static RateLimitDescriptor of(String... keyValues) {
    RateLimitDescriptor.Builder b = RateLimitDescriptor.newBuilder();
    for (int i = 0; i < keyValues.length; i += 2) {
      b.addEntries(RateLimitDescriptor.Entry.newBuilder().setKey(keyValues[i]).setValue(keyValues[i + 1]));
    }
    return b.build();
  }
}
