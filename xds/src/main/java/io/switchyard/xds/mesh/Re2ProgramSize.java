package io.switchyard.xds.mesh;

import com.google.re2j.PatternSyntaxException;
import com.google.re2j.Re2jSyntaxTree;
import com.google.re2j.Re2jSyntaxTree.Node;
import com.google.re2j.Re2jSyntaxTree.Op;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A floor under the RE2 program size Envoy checks a safe_regex against ({@code RE2::ProgramSize()}, the instructions
 * of the compiled and flattened forward program; Envoy refuses the regex, and with it the whole route configuration,
 * above the runtime key {@code re2.max_program_size.error_level}). RE2's exact size comes from its compiler (UTF-8
 * byte automata for classes, suffix sharing, flattening) that re2j does not have, and re2j's own program size is
 * neither above nor below it (re2j compiles runes, not bytes), so this counts only instructions RE2 cannot do
 * without: a regex whose floor is over the limit is surely refused by Envoy, one under it may still be.
 *
 * <p>Counted: one byte-range instruction per byte of each literal rune; for a class, one per ASCII range (but one
 * within A-Z that RE2 folds into a-z), and for its other runes one leading byte range per UTF-8 length and the
 * continuation bytes of the longest; repeats as RE2 simplifies them ({@code x{n,m}}: m copies, {@code x{n,}}: n, a
 * star, plus or quest: one), nested ones as its parser squashes them and adjacent ones of one rune as it coalesces
 * them; the match instruction. Not counted, as RE2 may drop or merge them: captures, empty-width assertions, the
 * literal prefix after a leading {@code ^} (RE2 matches it apart), the unanchored {@code .*?} loop, and a
 * concatenation with a part that never matches.
 */
final class Re2ProgramSize {
  private static final long SATURATED = Long.MAX_VALUE / 4;
  private static final int[] ANY_CHAR_NOT_NL = {0, '\n' - 1, '\n' + 1, Character.MAX_CODE_POINT};
  private static final int[] ANY_CHAR = {0, Character.MAX_CODE_POINT};

  private Re2ProgramSize() {}

  /** The floor of the RE2 program size of {@code regex}, which must be valid RE2 syntax. */
  static long floor(String regex) throws PatternSyntaxException {
    Node root = Re2jSyntaxTree.parse(regex);
    long floor = root.op() == Op.CONCAT ? concat(root.subs(), true) : size(root);
    return floor < 0 ? 1 : add(floor, 1); // never matching: RE2 compiles a bare fail; else + the match instruction
  }

  /**
   * Whether counted repeats nest past RE2's limit: RE2's parser (RepetitionWalker) divides 1000 by each enclosing
   * {@code {n,m}}'s m (n when unbounded) and refuses the regex ("invalid repetition size") when it reaches 0, that
   * is when the counts on one path multiply past 1000. re2j has no such limit.
   */
  static boolean repeatsNestPastRe2Limit(String regex) throws PatternSyntaxException {
    return repeatBudgetExhausted(Re2jSyntaxTree.parse(regex), 1000);
  }

  private static boolean repeatBudgetExhausted(Node n, int budget) {
    if (n.op() == Op.REPEAT) {
      int count = n.max() < 0 ? n.min() : n.max();
      if (count > 0) {
        budget /= count;
      }
      if (budget == 0) {
        return true;
      }
    }
    for (Node sub : n.subs()) {
      if (repeatBudgetExhausted(sub, budget)) {
        return true;
      }
    }
    return false;
  }

  /** Instructions for {@code n}, or -1 when it never matches (RE2 then compiles it, and what it is part of, to fail). */
  private static long size(Node n) {
    return switch (n.op()) {
      case NO_MATCH -> -1;
      case EMPTY_MATCH, BEGIN_LINE, END_LINE, BEGIN_TEXT, END_TEXT, WORD_BOUNDARY, NO_WORD_BOUNDARY -> 0;
      case LITERAL -> {
        long bytes = 0;
        for (int rune : n.runes()) {
          bytes += utf8Length(rune);
        }
        yield bytes;
      }
      case CHAR_CLASS -> charClass(n.runes());
      case ANY_CHAR_NOT_NL -> charClass(ANY_CHAR_NOT_NL);
      case ANY_CHAR -> charClass(ANY_CHAR);
      case CAPTURE -> size(n.subs().get(0));
      case STAR, PLUS, QUEST, REPEAT -> {
        Node sub = squashed(n);
        if (sub == null) {
          yield repeat(size(n.subs().get(0)), min(n), max(n));
        }
        long once = size(sub);
        yield once >= 0 ? once : (matchesEmpty(n) ? 0 : -1);
      }
      case CONCAT -> concat(n.subs(), false);
      case ALTERNATE -> {
        long sum = -1;
        for (Node sub : n.subs()) {
          long s = size(sub);
          if (s >= 0) {
            sum = add(Math.max(sum, 0), s);
          }
        }
        yield sum;
      }
    };
  }

  /**
   * A concatenation, where RE2's simplifier coalesces adjacent repeats of one leaf ({@code a*a+}, {@code [0-9]{2}[0-9]*},
   * {@code a*ab}): runs of one leaf count as the single repeat they may become, which is never more than their sum.
   */
  private static long concat(List<Node> subs, boolean top) {
    List<Unit> units = new ArrayList<>();
    for (int i = 0; i < subs.size(); i++) {
      Node n = subs.get(i);
      if (top && i == 1 && subs.get(0).op() == Op.BEGIN_TEXT && n.op() == Op.LITERAL) {
        continue; // RE2::Init's required prefix: checked apart, not compiled into the program
      }
      switch (n.op()) {
        case LITERAL -> {
          for (int rune : n.runes()) {
            units.add(new Unit(new int[] {rune, rune}, 1, 1, utf8Length(rune)));
          }
        }
        case CHAR_CLASS, ANY_CHAR, ANY_CHAR_NOT_NL -> units.add(new Unit(leaf(n), 1, 1, size(n)));
        case STAR, PLUS, QUEST, REPEAT -> {
          Node squashed = squashed(n);
          Node sub = squashed != null ? squashed : n.subs().get(0);
          int[] leaf = leaf(sub);
          int min = squashed != null ? (matchesEmpty(n) ? 0 : 1) : min(n);
          int max = squashed != null ? -1 : max(n);
          units.add(leaf != null ? new Unit(leaf, min, max, size(sub)) : new Unit(null, 1, 1, size(n)));
        }
        default -> units.add(new Unit(null, 1, 1, size(n)));
      }
    }
    long sum = 0;
    for (int i = 0; i < units.size(); ) {
      Unit u = units.get(i);
      long min = u.min;
      long max = u.max;
      int j = i + 1;
      long size = u.size;
      while (u.leaf != null && j < units.size() && units.get(j).leaf != null
          && Arrays.equals(units.get(j).leaf, u.leaf)) {
        min = add(min, units.get(j).min);
        max = max < 0 || units.get(j).max < 0 ? -1 : add(max, units.get(j).max);
        size = Math.min(size, units.get(j).size);
        j++;
      }
      long s = repeat(size, (int) Math.min(min, Integer.MAX_VALUE), (int) Math.min(max, Integer.MAX_VALUE));
      if (s < 0) {
        return -1;
      }
      sum = add(sum, s);
      i = j;
    }
    return sum;
  }

  /**
   * A unit of a concatenation: {@code leaf} the ranges of the one rune it repeats (null: not a repeat of one rune),
   * {@code min}/{@code max} its bounds (max -1: unbounded), {@code size} that of one copy.
   */
  private record Unit(int[] leaf, long min, long max, long size) {}

  /**
   * The ranges a leaf matches, or null for what is no leaf. Literal, class and dot compare by ranges, case folding
   * aside: RE2 writes {@code [^\n]} as a dot, and merging more than RE2 coalesces only lowers the count.
   */
  private static int[] leaf(Node n) {
    return switch (n.op()) {
      case LITERAL -> n.runes().length == 1 ? new int[] {n.runes()[0], n.runes()[0]} : null;
      case CHAR_CLASS -> n.runes();
      case ANY_CHAR_NOT_NL -> ANY_CHAR_NOT_NL;
      case ANY_CHAR -> ANY_CHAR;
      default -> null;
    };
  }

  /**
   * For a repeat of a star, plus or quest (through non-capturing groups, which leave no node), the innermost repeated
   * node, counted once: RE2's parser squashes {@code (?:x*)?}, {@code (?:x+)*} and the like into one star, plus or
   * quest of x, and its simplifier may do as much for a counted repeat of one. Null for any other repeat.
   */
  private static Node squashed(Node n) {
    Node sub = n.subs().get(0);
    if (max(n) == 0 || !(sub.op() == Op.STAR || sub.op() == Op.PLUS || sub.op() == Op.QUEST)) {
      return null;
    }
    while (sub.op() == Op.STAR || sub.op() == Op.PLUS || sub.op() == Op.QUEST) {
      sub = sub.subs().get(0);
    }
    return sub;
  }

  /** Whether a squashed repeat matches the empty string: one of its repeats may repeat zero times. */
  private static boolean matchesEmpty(Node n) {
    for (Node r = n; r.op() == Op.STAR || r.op() == Op.PLUS || r.op() == Op.QUEST || r.op() == Op.REPEAT;
        r = r.subs().get(0)) {
      if (min(r) == 0) {
        return true;
      }
    }
    return false;
  }

  /** RE2's simplification of {@code x{min,max}}: max copies, or min (at least one) when unbounded (max -1). */
  private static long repeat(long sub, int min, int max) {
    if (sub < 0) {
      return min == 0 ? 0 : -1;
    }
    long copies = max < 0 ? Math.max(min, 1) : max;
    return copies == 0 || sub == 0 ? 0 : (sub > SATURATED / copies ? SATURATED : sub * copies);
  }

  private static int min(Node n) {
    return switch (n.op()) {
      case STAR, QUEST -> 0;
      case PLUS -> 1;
      default -> n.min();
    };
  }

  private static int max(Node n) {
    return switch (n.op()) {
      case STAR, PLUS -> -1;
      case QUEST -> 1;
      default -> n.max();
    };
  }

  /**
   * A class's ranges: each ASCII range is a byte range of its own, except one within A-Z that RE2 drops into its a-z
   * twin when the class folds ASCII case; non-ASCII runes need a distinct leading byte range per UTF-8 length and a
   * chain of continuation byte ranges as long as the longest. -1 for an empty class.
   */
  private static long charClass(int[] ranges) {
    boolean foldsAscii = true;
    for (int c = 'A'; c <= 'Z'; c++) {
      foldsAscii &= contains(ranges, c) == contains(ranges, c + ('a' - 'A'));
    }
    long ascii = 0;
    boolean[] lengths = new boolean[5];
    for (int i = 0; i + 1 < ranges.length; i += 2) {
      int lo = ranges[i];
      int hi = ranges[i + 1];
      if (lo <= 0x7f && !(foldsAscii && 'A' <= lo && hi <= 'Z')) {
        ascii++; // RE2's compiler: a range within A-Z of a class that folds ASCII is its a-z twin's, with foldcase
      }
      for (int len = 2; len <= 4; len++) {
        int first = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
        int last = len == 2 ? 0x7ff : len == 3 ? 0xffff : Character.MAX_CODE_POINT;
        if (lo <= last && hi >= first) {
          lengths[len] = true;
        }
      }
    }
    if (ranges.length == 0) {
      return -1;
    }
    long size = ascii;
    for (int len = 2; len <= 4; len++) {
      if (lengths[len]) {
        size += 1;
      }
    }
    for (int len = 4; len >= 2; len--) {
      if (lengths[len]) {
        size += len - 1;
        break;
      }
    }
    return size;
  }

  private static boolean contains(int[] ranges, int rune) {
    for (int i = 0; i + 1 < ranges.length; i += 2) {
      if (ranges[i] <= rune && rune <= ranges[i + 1]) {
        return true;
      }
    }
    return false;
  }

  private static int utf8Length(int rune) {
    return rune < 0x80 ? 1 : rune < 0x800 ? 2 : rune < 0x10000 ? 3 : 4;
  }

  private static long add(long a, long b) {
    return Math.min(SATURATED, a + b);
  }
}
