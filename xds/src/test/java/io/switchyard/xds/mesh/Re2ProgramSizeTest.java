package io.switchyard.xds.mesh;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class Re2ProgramSizeTest {
  /**
   * RE2::ProgramSize(), what Envoy compares with re2.max_program_size.error_level, as RE2 (2022-06-01, Debian's
   * libre2-9) computed it for each regex: Envoy's own test regex, a real one Envoy refused at 106, regexes where
   * RE2's parser squashes nested repeats or its simplifier coalesces adjacent ones, classes that never match, and
   * large Unicode classes and counted repeats.
   */
  static final List<Map.Entry<String, Integer>> MEASURED = List.of(
      Map.entry("/asdf/.*", 18),
      Map.entry("abc", 7),
      Map.entry("^a$", 4),
      Map.entry("/items/(?P<id>[0-9]+)", 15),
      Map.entry("^/user/(488/sms|h5/getJwt|captcha|version/getAIDrawTemplate|version/isMainLand|version/promotionTemplate|version/activityTemplate2).*", 106),
      Map.entry("(?i)/users/\\pL+", 1210),
      Map.entry("\\p{Greek}", 66),
      Map.entry("(?s).*", 11),
      Map.entry(".*\\.(jpg|png|gif)$", 24),
      Map.entry("a{1000}", 1004),
      Map.entry("(?i)/(admin|login|logout|debug|metrics)(/.*)?", 46),
      Map.entry("/api/v[0-9]+/(users|orders|items)/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", 100),
      Map.entry("(?:(?:(?:.*)?)).[^\\n]", 21),
      Map.entry("((?:(日|k).{27,38}(?:[^\\n]*)*^)?|\\A+)+", 236),
      Map.entry("(?:[A-Za-z]{25})(b|[^a]|(?:b))(?:(?:(?:(?:\\pL)+){0}))", 39),
      Map.entry("(?:[^\\x00-\\x{10FFFF}]+)+$*(?:(?:K+)+)", 1),
      Map.entry("[a-z]*[a-z]{3}a*aab", 12),
      Map.entry("(\\pL|\\pN){20}", 26824),
      Map.entry("/[^/]{1,1000}/[^/]{1,1000}/[^/]{1,1000}/[^/]{1,1000}", 36004),
      Map.entry("/[^/]{1,1000}/[^/]{1,1000}/[^/]{1,1000}/[^/]{1,1000}/[^/]{1,1000}", 45004),
      Map.entry(".{1000}.{1000}.{1000}.{1000}.{1000}", 40004),
      Map.entry("\\w{1000}\\w{1000}\\w{1000}\\w{1000}\\w{1000}\\w{1000}\\w{1000}\\w{1000}\\w{1000}", 27004));

  @Test
  void theFloorIsNeverAboveTheProgramSizeRe2Computes() throws Exception {
    for (Map.Entry<String, Integer> m : MEASURED) {
      assertThat(Re2ProgramSize.floor(m.getKey())).as(m.getKey()).isBetween(1L, (long) m.getValue());
    }
  }

  /** Literals, ASCII classes and counted repeats, what route regexes are made of, are counted nearly in full. */
  @Test
  void theFloorOfAsciiRegexesIsCloseToTheProgramSize() throws Exception {
    assertThat(Re2ProgramSize.floor("/api/v[0-9]+/(users|orders|items)/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}"
        + "-[0-9a-f]{4}-[0-9a-f]{12}")).isEqualTo(94); // RE2: 100
    assertThat(Re2ProgramSize.floor("/[^/]{1,1000}".repeat(5))).isEqualTo(40006); // RE2: 45004
    assertThat(Re2ProgramSize.floor("a{1000}")).isEqualTo(1001); // RE2: 1004
  }

  /** RE2 coalesces a*, a{3} and aa into a{5,}: five copies, not the six the repeats add up to. */
  @Test
  void adjacentRepeatsOfOneRuneCountAsTheOneRepeatRe2MakesOfThem() throws Exception {
    assertThat(Re2ProgramSize.floor("xa*a{3}aay")).isEqualTo(1 + 5 + 1 + 1); // RE2: 12
    assertThat(Re2ProgramSize.floor("xa{3}ba{3}y")).isEqualTo(1 + 3 + 1 + 3 + 1 + 1); // RE2: 13
  }

  /** A part that never matches makes RE2 compile the whole concatenation to a single fail instruction. */
  @Test
  void aConcatenationWithAnEmptyClassCountsNothing() throws Exception {
    assertThat(Re2ProgramSize.floor("abc[^\\x00-\\x{10FFFF}]def")).isEqualTo(1);
    assertThat(Re2ProgramSize.floor("abc(?:[^\\x00-\\x{10FFFF}])?d")).isEqualTo(5);  // RE2: 8
  }
}
