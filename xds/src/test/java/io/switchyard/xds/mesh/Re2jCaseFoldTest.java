package io.switchyard.xds.mesh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import com.google.re2j.Re2jSyntaxTree;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * re2j 1.8 never finishes compiling a regex that case-folds U+1C80..U+1C88 (google/re2j#168). re2j only compiles
 * here what the check accepted, and under a preemptive timeout, so a wrong answer fails the test instead of hanging
 * the build.
 */
class Re2jCaseFoldTest {
  private static final Duration RE2J_COMPILE = Duration.ofSeconds(2);
  private static final String REASON = "case-insensitive matching of U+1C80–U+1C88 (Cyrillic Extended-C) cannot be"
      + " checked: re2j, which xds validates regexes with, never finishes compiling it (google/re2j#168); write these"
      + " letters' cases out explicitly";

  private static String check(String regex) {
    return assertTimeoutPreemptively(RE2J_COMPILE, () -> Re2jCaseFold.hangReason(regex), regex);
  }

  private static void compilesInTime(String regex) {
    assertTimeoutPreemptively(RE2J_COMPILE, () -> Pattern.compile(regex), regex);
  }

  private static void refused(String... regexes) {
    for (String regex : regexes) {
      assertThat(check(regex)).as(regex).isEqualTo(REASON);
    }
  }

  private static void accepted(String... regexes) {
    for (String regex : regexes) {
      assertThat(check(regex)).as(regex).isNull();
      compilesInTime(regex);
    }
  }

  @Test
  void underJdk17TheRunesWhoseFoldingNeverEndsAreCyrillicExtendedC() {
    assertThat(Re2jSyntaxTree.runesWhoseCaseFoldingNeverEnds()).containsExactly(0x1C80, 0x1C88);
  }

  @Test
  void foldedLiteralsAndClassItemsOfCyrillicExtendedCAreRefused() {
    refused("(?i)ᲀ", "(?i)\\x{1C80}", "(?i)[\\x{100}-\\x{3000}]", "(?i)[^\\x{1C80}]", "(?i)ᲈ", "(?i)\\x{1c84}",
        "(?i)[ᲀ-ᲈ]", "(?i)[\\x{1C7F}-\\x{1C80}]", "(?i)a|bᲁ", "(?i)(?:x(ᲂ)+){2}", "(?i)\\Qᲃ\\E", "(?i)[\\pLᲀ]",
        "(?i)[\\pL-ᲀ]", "(?i)[[:^alpha:]ᲀ]", "(?i)\\x{0001C80}", "/a/(?i)b\\.ᲅ$");
  }

  @Test
  void caseInsensitiveClassesByNameAndNegatedClassesWithoutThoseRunesAreAccepted() {
    accepted("(?i)\\pL", "(?i)\\p{Cyrillic}", "(?i)[\\pL]", "(?i)[^a]", "(?i:a)ᲀ", "(?i)[\\x{1C00}-\\x{1C7F}]",
        "(?i)\\PL", "(?i)\\P{Cyrillic}", "(?i)\\p{^L}", "(?i)[^\\pL]", "(?i)[\\PL\\W\\D\\S]", "(?i)\\W\\D\\S\\w\\d\\s",
        "(?i)[[:^alpha:][:word:]]", "(?i)[^\\x{1C89}-\\x{10FFFF}]", "(?i).", "(?is).", "ᲀ", "\\x{1C80}",
        "[\\x{100}-\\x{3000}]", "(?i)/users/\\pL+", "(?i)[\\x{1C89}-\\x{1CFF}]", "(?i)\\x{1C8}0");
  }

  @Test
  void onlyTheStretchWhereFoldingIsOnIsLookedAt() {
    accepted("(?i:a)ᲀ", "(a(?i)b)ᲀ", "(?P<x>(?i)a)ᲀ", "(?<x>(?i)a)ᲀ", "(?mi-s:a)ᲀ", "(?-i)ᲀ", "(?m-i)ᲀ", "(?m)ᲀ",
        "((?i:a)|b)ᲀ", "(?i:(a)(b))ᲀ", "(?U)ᲀ");
    refused("(?mi-s)ᲀ", "(a(?i)b|ᲀ)", "(?si)ᲀ", "(?i-m)ᲀ", "x(?Ui)y(?:ᲀ)", "(?i:(a)ᲀ)", "((?i)a)|(?i)ᲀ");
    // Folding turned off again inside the stretch is not followed: refused, though re2j would compile it.
    refused("(?i)a(?-i)ᲀ", "(?i:a(?-i:ᲀ))");
  }

  @Test
  void escapedParensQuotesAndClassesDoNotOpenOrCloseAStretch() {
    accepted("\\(?i\\)ᲀ", "\\Q(?i)\\Eᲀ", "[(?i)]ᲀ", "(?i:\\))ᲀ", "(?i:[)])ᲀ", "(?i:[]a)])ᲀ", "(?i:\\Q)\\E)ᲀ",
        "(?i:[^)])ᲀ", "(?i:[[:alpha:])])ᲀ", "(?i:\\p{Greek})ᲀ", "(?i:\\\\)ᲀ", "(?i:\\x{29})ᲀ");
    refused("(?i)[)]ᲀ", "(?i)\\\\ᲀ", "(?i)\\(ᲀ", "(?i:\\Q)ᲀ\\E)", "(?i:[)ᲀ])", "(?i:[[:x]ᲀ])");
  }

  @Test
  void aRepeatRightAfterTheFlagsIsCheckedOnTheWholeRegex() {
    accepted("a(?i)*b", "a(?i){2}");
    refused("a(?i)*ᲀ");
  }

  @Test
  void anInvalidRegexIsReportedAsRe2jReportsItWithoutFolding() {
    for (String invalid : new String[] {"(?i)ᲀ(", "(?i)ᲀ[", "(?i)ᲀ\\", "(?i)ᲀ(?P<>a)", "(?i)ᲀ(?x)", "(?i)ᲀ\\8"}) {
      PatternSyntaxException expected = null;
      try {
        Pattern.compile(invalid.substring("(?i)ᲀ".length()));
      } catch (PatternSyntaxException e) {
        expected = e;
      }
      assertThat(expected).as(invalid).isNotNull();
      String description = expected.getDescription();
      assertThatThrownBy(() -> assertTimeoutPreemptively(RE2J_COMPILE, () -> Re2jCaseFold.hangReason(invalid)))
          .as(invalid).isInstanceOf(PatternSyntaxException.class)
          .extracting(e -> ((PatternSyntaxException) e).getDescription()).isEqualTo(description);
    }
  }

  private static final String[] FLAGS = {"i", "i", "-i", "m-i", "mi", "s", "i-s", "U", "Ui"};
  private static final String[] NAMED = {"\\pL", "\\p{Cyrillic}", "\\PL", "\\P{Lu}", "\\p{^Ll}", "\\W", "\\D",
      "\\S", "\\w", "\\d", "[:alpha:]", "[:^alpha:]"};
  private static final String[] NOISE = {"(", ")", "[", "]", "\\Q", "\\E", "\\(", "\\)", "\\\\", "-", "{2}", "(?i)"};

  /** A rune around U+1C80, raw or escaped. */
  private static String rune(Random random) {
    int rune = 0x1C70 + random.nextInt(0x30); // U+1C70..U+1C9F: the runes and their neighbours
    return random.nextBoolean() ? new String(Character.toChars(rune)) : String.format("\\x{%X}", rune);
  }

  /** Mostly valid regexes mixing flags, groups, quotes, escapes, classes by name, negations and runes; some noise. */
  private static String randomRegex(Random random, int depth) {
    StringBuilder regex = new StringBuilder();
    int atoms = 1 + random.nextInt(4);
    for (int a = 0; a < atoms; a++) {
      switch (random.nextInt(depth > 2 ? 8 : 11)) {
        case 0, 1 -> regex.append(rune(random));
        case 2 -> regex.append(random.nextBoolean() ? "a" : "\\.");
        case 3 -> regex.append(NAMED[random.nextInt(NAMED.length - 2)]);
        case 4 -> regex.append("(?").append(FLAGS[random.nextInt(FLAGS.length)]).append(')');
        case 5 -> regex.append("\\Q").append(random.nextBoolean() ? ")" : "(?i)").append(rune(random)).append("\\E");
        case 6 -> {
          regex.append(random.nextBoolean() ? "[^" : "[");
          int items = 1 + random.nextInt(3);
          for (int k = 0; k < items; k++) {
            switch (random.nextInt(4)) {
              case 0 -> regex.append(rune(random));
              case 1 -> regex.append(rune(random)).append('-').append(String.format("\\x{%X}", 0x1C90 + random.nextInt(9)));
              case 2 -> regex.append(NAMED[random.nextInt(NAMED.length)]);
              default -> regex.append(random.nextBoolean() ? ")" : "a-z");
            }
          }
          regex.append(']');
        }
        case 7 -> regex.append(NOISE[random.nextInt(NOISE.length)]);
        default -> {
          regex.append(switch (random.nextInt(3)) {
            case 0 -> "(";
            case 1 -> "(?P<g" + random.nextInt(1_000_000) + ">";
            default -> "(?" + FLAGS[random.nextInt(FLAGS.length)] + ":";
          });
          regex.append(randomRegex(random, depth + 1));
          if (random.nextInt(3) == 0) {
            regex.append('|').append(randomRegex(random, depth + 1));
          }
          regex.append(')');
        }
      }
      if (random.nextInt(5) == 0) {
        regex.append(random.nextBoolean() ? "*" : "{2}");
      }
    }
    return regex.toString();
  }

  /**
   * Every regex the check accepts compiles with re2j in time, and the check itself answers in time for every regex.
   * Fixed seeds: a failure here names a regex that reproduces it.
   */
  @Test
  void everyRandomRegexTheCheckAcceptsCompilesWithRe2jInTime() {
    int acceptedFolding = 0;
    int refused = 0;
    int invalid = 0;
    for (long seed : new long[] {1, 2, 3, 168}) {
      Random random = new Random(seed);
      for (int k = 0; k < 1000; k++) {
        String regex = randomRegex(random, 0);
        String reason;
        try {
          reason = check(regex);
        } catch (PatternSyntaxException e) {
          invalid++;
          continue; // not RE2: reported as such, never compiled
        }
        if (reason != null) {
          refused++;
          continue;
        }
        assertTimeoutPreemptively(RE2J_COMPILE, () -> {
          try {
            Pattern.compile(regex);
          } catch (PatternSyntaxException e) {
            // errors re2j finds after parsing (none expected) are the mesh file check's business, not a hang
          }
        }, () -> "seed " + seed + ": " + regex);
        if (regex.contains("i)") || regex.contains("i:")) {
          acceptedFolding++;
        }
      }
    }
    String counts = "accepted folding " + acceptedFolding + ", refused " + refused + ", invalid " + invalid;
    assertThat(acceptedFolding).as(counts).isGreaterThan(800);
    assertThat(refused).as(counts).isGreaterThan(150);
  }
}
