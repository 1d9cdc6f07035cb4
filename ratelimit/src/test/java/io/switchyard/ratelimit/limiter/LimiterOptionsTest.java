package io.switchyard.ratelimit.limiter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LimiterOptionsTest {

  @ParameterizedTest
  @ValueSource(strings = {"RateLimit-Limit", "x-ratelimit-remaining", "X_Quota.Reset", "a!#$%&'*+-.^_`|~9"})
  void headerNamesThatAreHttpTokensAreAccepted(String name) {
    assertThat(LimiterOptions.headerNameError(name)).isNull();
    assertThat(LimiterOptions.defaults().withHeaderNames(name, null, null).limitHeaderName()).isEqualTo(name);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "Rate Limit", ":status", "x:y", "a\tb", "quota(limit)", "a/b", "a\"b", "ä", "a\r\nb"})
  void headerNamesThatAreNotHttpTokensAreRejected(String name) {
    assertThat(LimiterOptions.headerNameError(name)).isNotNull().contains("HTTP header name");
    assertThatThrownBy(() -> LimiterOptions.defaults().withHeaderNames(null, null, name))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("reset header name: ");
  }

  @Test
  void theThreeHeaderNamesMustDifferIgnoringCase() {
    assertThatThrownBy(() -> LimiterOptions.defaults().withHeaderNames("Quota", "quota", null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("remaining header name: 'quota' is already the limit header name");
    assertThatThrownBy(() -> LimiterOptions.defaults().withHeaderNames(null, null, "ratelimit-limit"))
        .hasMessage("reset header name: 'ratelimit-limit' is already the limit header name");
  }

  @Test
  void unsetHeaderNamesFollowTheHeaderStyle() {
    LimiterOptions o = LimiterOptions.defaults().withHeaderNames(null, "Left", null);
    assertThat(o.limitHeaderName()).isEqualTo("RateLimit-Limit");
    assertThat(o.remainingHeaderName()).isEqualTo("Left");
    LimiterOptions x = o.withHeaders(LimiterOptions.HeaderStyle.X_RATELIMIT, false);
    assertThat(x.limitHeaderName()).isEqualTo("X-RateLimit-Limit");
    assertThat(x.remainingHeaderName()).isEqualTo("Left");
    assertThat(x.resetHeaderName()).isEqualTo("X-RateLimit-Reset");
  }
}
