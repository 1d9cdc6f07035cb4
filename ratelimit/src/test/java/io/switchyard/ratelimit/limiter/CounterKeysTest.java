package io.switchyard.ratelimit.limiter;

import static io.switchyard.ratelimit.limiter.LimiterFixture.d;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.switchyard.ratelimit.storage.CounterStore;
import io.switchyard.ratelimit.storage.CounterStoreException;
import io.switchyard.ratelimit.storage.MemoryCounterStore;
import io.switchyard.testing.MutableClock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The exact counter keys handed to the store: CACHE_KEY_PREFIX, the reference's base, limit index, window. */
class CounterKeysTest {
  /** 2023-11-14T22:13:20.500Z: epoch second 1_700_000_000. */
  private static final long NOW = 1_700_000_000_500L;

  private static final String YAML = """
      domain: d
      descriptors:
        - key: a
          rate_limits:
            - {unit: minute, requests_per_unit: 10}
            - {unit: hour, requests_per_unit: 100, algorithm: sliding_window}
            - {unit: second, requests_per_unit: 5, algorithm: token_bucket}
        - key: path
          value: /files/*
          share_threshold: true
          rate_limit: {unit: second, requests_per_unit: 10}
        - key: org
          value: acme
          descriptors:
            - key: user
              rate_limit: {unit: day, requests_per_unit: 10}
      """;

  /** Records every key asked for, in order, and counts in memory. */
  private static final class RecordingStore implements CounterStore {
    final MemoryCounterStore delegate;
    final List<String> keys = new ArrayList<>();

    RecordingStore(MutableClock clock) {
      delegate = new MemoryCounterStore(clock, 1000);
    }

    @Override
    public long[] addAndGet(String[] k, long[] hits, long[] expireAtMillis) throws CounterStoreException {
      keys.addAll(List.of(k));
      return delegate.addAndGet(k, hits, expireAtMillis);
    }

    @Override
    public long[] takeTokens(String[] k, long[] hits, long[] limits, long[] periodMicros, long nowMicros)
        throws CounterStoreException {
      keys.addAll(List.of(k));
      return delegate.takeTokens(k, hits, limits, periodMicros, nowMicros);
    }

    @Override
    public String name() {
      return "recording";
    }

    @Override
    public void close() {
      delegate.close();
    }
  }

  private final MutableClock clock = MutableClock.ofEpochMilli(NOW);
  private final RecordingStore store = new RecordingStore(clock);
  private final LimiterFixture f = new LimiterFixture(YAML, store, clock,
      LimiterOptions.defaults().withCacheKeyPrefix("p:"));

  @Test
  void everyLimitOfADescriptorCountsUnderThePrefixedBaseWithItsIndexAndWindow() {
    f.call("d", d("a", "x"));

    long minute = NOW / 60_000 * 60;
    long hour = NOW / 3_600_000 * 3600;
    // windows first (current, then the sliding window's previous one), then token buckets
    assertThat(store.keys).containsExactly(
        "p:d_a_x_" + minute,
        "p:d_a_x_#1_" + hour,
        "p:d_a_x_#1_" + (hour - 3600),
        "p:d_a_x_#2_tb");
  }

  @Test
  void nestedSharedThresholdAndOverrideKeysKeepTheReferenceShape() {
    RateLimitDescriptor override = d("free", "form").toBuilder()
        .setLimit(RateLimitDescriptor.RateLimitOverride.newBuilder().setRequestsPerUnit(3)
            .setUnit(io.envoyproxy.envoy.type.v3.RateLimitUnit.SECOND))
        .build();
    f.call(RateLimitRequest.newBuilder().setDomain("d")
        .addDescriptors(d("org", "acme", "user", "bob"))
        .addDescriptors(d("path", "/files/report.pdf"))
        .addDescriptors(override)
        .build());

    long day = NOW / 86_400_000 * 86_400;
    long second = NOW / 1000;
    assertThat(store.keys).containsExactly(
        "p:d_org_acme_user_bob_" + day,
        "p:d_path_/files/*_" + second,
        "p:d_free_form_" + second);
  }
}
