package io.switchyard.ratelimit.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GlobTest {
  @Test
  void starMatchesZeroOrMoreCharacters() {
    assertThat(Glob.compile("k_a*").matches("k_a")).isTrue();
    assertThat(Glob.compile("k_*a").matches("k_a")).isTrue();
    assertThat(Glob.compile("k_a*b*a").matches("k_aba")).isTrue();
    assertThat(Glob.compile("k_a*b*a").matches("k_ab")).isFalse();
    assertThat(Glob.compile("k_aa*aa").matches("k_aaa")).isFalse();
    assertThat(Glob.compile("k_*x*y*").matches("k_yx")).isFalse();
    assertThat(Glob.compile("k_**").matches("k_")).isTrue();
  }
}
