package io.switchyard.serverkit.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class YamlPositionsTest {
  @Test
  void aCodePointOffsetBecomesLineAndColumnCountingSurrogatePairsAsOneAndCrLfAsOneBreak() {
    String text = "a: 1\r\nb: \uD83D\uDE00x\nc";
    assertThat(YamlPositions.ofCodePoint(text, 0)).containsExactly(1, 1);
    assertThat(YamlPositions.ofCodePoint(text, 6)).containsExactly(2, 1); // 'b' after "a: 1\r\n" (6 code points)
    assertThat(YamlPositions.ofCodePoint(text, 10)).containsExactly(2, 5); // 'x' after the emoji, one code point
    assertThat(YamlPositions.ofCodePoint(text, 12)).containsExactly(3, 1);
  }

  @Test
  void theFirstNodeDeeperThanTheLimitIsFoundWhereItStarts() {
    assertThat(YamlPositions.firstNestedDeeperThan("a:\n  b: [[[x]]]\n", 3)).containsExactly(2, 8); // the third [ is the fifth level
    assertThat(YamlPositions.firstNestedDeeperThan("a: [1, 2]\n", 3)).containsExactly(0, 0);
  }
}
