package io.switchyard.ratelimit.limiter;

import static io.switchyard.ratelimit.limiter.LimiterFixture.d;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse.Code;
import io.switchyard.ratelimit.storage.MemoryCounterStore;
import io.switchyard.testing.MutableClock;
import org.junit.jupiter.api.Test;

/** A store that cannot answer (here: the memory key cap) gives the configured allow/deny answer and a metric. */
class BackendErrorPolicyTest {
  private static final String YAML = """
      domain: d
      descriptors:
        - key: user
          rate_limit: {unit: minute, requests_per_unit: 5}
      """;

  private static LimiterFixture fixture(LimiterOptions.BackendErrorPolicy policy) {
    MutableClock clock = MutableClock.ofEpochMilli(1_767_225_600_000L);
    return new LimiterFixture(YAML, new MemoryCounterStore(clock, 1), clock,
        LimiterOptions.defaults().withOnBackendError(policy));
  }

  @Test
  void failOpenAllowsAndCounts() {
    LimiterFixture f = fixture(LimiterOptions.BackendErrorPolicy.ALLOW);
    assertThat(f.call("d", d("user", "a")).getOverallCode()).isEqualTo(Code.OK);
    var r = f.call("d", d("user", "b"));
    assertThat(r.getOverallCode()).isEqualTo(Code.OK);
    assertThat(r.getStatuses(0).getCurrentLimit().getRequestsPerUnit()).isEqualTo(5);
    assertThat(f.counter("ratelimit_service_call_should_rate_limit_backend_error",
        "storage", "memory", "reason", "key_cap", "decision", "allow")).isEqualTo(1);
  }

  @Test
  void failClosedDenies() {
    LimiterFixture f = fixture(LimiterOptions.BackendErrorPolicy.DENY);
    f.call("d", d("user", "a"));
    assertThat(f.call("d", d("user", "b")).getOverallCode()).isEqualTo(Code.OVER_LIMIT);
    assertThat(f.counter("ratelimit_service_call_should_rate_limit_backend_error", "decision", "deny")).isEqualTo(1);
  }
}
