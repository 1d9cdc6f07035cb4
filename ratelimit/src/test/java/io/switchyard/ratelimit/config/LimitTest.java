package io.switchyard.ratelimit.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;

class LimitTest {
  @Test
  void quotaPolicyIsTheLimitAndWindowAsEnvoyWritesItWithTheNameOfANamedLimit() {
    assertThat(Limit.of("per-user", 10, RateLimitUnit.MINUTE, false, Set.of(), Algorithm.FIXED_WINDOW, 0).quotaPolicy())
        .isEqualTo(", 10;w=60;name=\"per-user\"");
    assertThat(Limit.of("", 100, RateLimitUnit.SECOND, false, Set.of(), Algorithm.FIXED_WINDOW, 1).quotaPolicy())
        .isEqualTo(", 100;w=1");
    assertThat(Limit.override(5, RateLimitUnit.DAY).quotaPolicy()).isEqualTo(", 5;w=86400");
  }

  @Test
  void anUnlimitedLimitHasNoQuotaPolicy() {
    assertThat(Limit.of("open", 0, null, true, Set.of(), Algorithm.FIXED_WINDOW, 0).quotaPolicy()).isEmpty();
  }
}
