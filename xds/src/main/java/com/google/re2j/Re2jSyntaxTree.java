package com.google.re2j;

import java.util.ArrayList;
import java.util.List;

/**
 * re2j's parse tree of a regex, read as RE2 reads it (Perl flags, as {@link Pattern#compile(String)}), for
 * io.switchyard.xds.mesh.Re2ProgramSize. It lives in re2j's package because re2j keeps its parser package-private,
 * and it copies the tree into public records so that nothing else depends on re2j's internals: a re2j upgrade that
 * changes them breaks the build here, not a mesh file check at run time. For io.switchyard.xds.mesh.Re2jCaseFold it
 * also finds the runes whose case folding never ends in re2j (google/re2j#168).
 */
public final class Re2jSyntaxTree {
  /** re2j's {@code Regexp.Op}, less the parser's pseudo-operators. */
  public enum Op {
    NO_MATCH, EMPTY_MATCH, LITERAL, CHAR_CLASS, ANY_CHAR_NOT_NL, ANY_CHAR, BEGIN_LINE, END_LINE, BEGIN_TEXT,
    END_TEXT, WORD_BOUNDARY, NO_WORD_BOUNDARY, CAPTURE, STAR, PLUS, QUEST, REPEAT, CONCAT, ALTERNATE
  }

  /**
   * One node: {@code runes} are a literal's runes or a class's ranges (lo, hi pairs); {@code min}/{@code max} a
   * repeat's bounds ({@code max} -1: unbounded); {@code name} a named capture's name, else null.
   */
  public record Node(Op op, int[] runes, int min, int max, String name, List<Node> subs) {
    public Node {
      runes = runes.clone();
      subs = List.copyOf(subs);
    }

    @Override
    public int[] runes() {
      return runes.clone();
    }
  }

  private Re2jSyntaxTree() {}

  /** Parses {@code regex} as {@code Pattern.compile(regex)} does, before simplification. */
  public static Node parse(String regex) throws PatternSyntaxException {
    return copy(Parser.parse(regex, RE2.PERL));
  }

  private static Node copy(Regexp re) {
    List<Node> subs = new ArrayList<>();
    if (re.subs != null) {
      for (Regexp sub : re.subs) {
        subs.add(copy(sub));
      }
    }
    return new Node(Op.valueOf(re.op.name()), re.runes == null ? new int[0] : re.runes, re.min, re.max, re.name, subs);
  }

  /**
   * The ranges (lo, hi pairs) of runes whose case folding never ends in re2j: its parser walks a rune's orbit with
   * {@code Unicode.simpleFold} until it comes back to the rune, and for these it never does (google/re2j#168: under
   * JDK 17, U+1C80..U+1C88, whose upper case is a Cyrillic letter with a lower case of its own). Computed from
   * re2j's and the running JDK's case tables, so a JDK with other case mappings gets its own set. Folding orbits
   * are at most 4 runes long; a walk that has not come back after 64 steps never will.
   */
  public static int[] runesWhoseCaseFoldingNeverEnds() {
    return NeverEndingFolds.RANGES.clone();
  }

  private static final class NeverEndingFolds {
    static final int[] RANGES = compute();

    private static int[] compute() {
      List<Integer> ranges = new ArrayList<>();
      for (int c = Unicode.MIN_FOLD; c <= Unicode.MAX_FOLD; c++) {
        int f = Unicode.simpleFold(c);
        for (int steps = 0; f != c && steps < 64; steps++) {
          f = Unicode.simpleFold(f);
        }
        if (f == c) {
          continue;
        }
        int n = ranges.size();
        if (n > 0 && ranges.get(n - 1) == c - 1) {
          ranges.set(n - 1, c);
        } else {
          ranges.add(c);
          ranges.add(c);
        }
      }
      return ranges.stream().mapToInt(Integer::intValue).toArray();
    }
  }
}
