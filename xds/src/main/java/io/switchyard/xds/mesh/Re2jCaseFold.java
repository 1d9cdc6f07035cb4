package io.switchyard.xds.mesh;

import com.google.re2j.PatternSyntaxException;
import com.google.re2j.Re2jSyntaxTree;
import com.google.re2j.Re2jSyntaxTree.Node;
import com.google.re2j.Re2jSyntaxTree.Op;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Finds the regexes re2j never finishes compiling (google/re2j#168, open in 1.8): with case folding on ({@code (?i)}),
 * its parser walks each literal rune's and each class item's fold orbit until it comes back to the rune, and for a
 * few runes it never does (under JDK 17, U+1C80..U+1C88, Cyrillic Extended-C). Classes given by name ({@code \pL},
 * {@code \w}, {@code [:alpha:]}) fold through tables and are safe, and a negated class folds its items before it is
 * negated. re2j is never given a regex that folds here: the regex is rewritten with {@code U} for every {@code i}
 * flag (same syntax, no folding), with the named classes replaced by {@code \d} and negations dropped (so that only a
 * class's own items are looked at), and each stretch where folding is on wrapped in a named capture; re2j's parse tree
 * of that shows the runes that would be folded. A stretch starts at an {@code i} flag and ends with the group it is
 * in, even where a later {@code (?-i)} turns folding off again: those letters there are refused too.
 */
final class Re2jCaseFold {
  private static final int[] NEVER_ENDING = Re2jSyntaxTree.runesWhoseCaseFoldingNeverEnds();
  private static final String FLAGS = "-imsU";

  private Re2jCaseFold() {}

  /**
   * Why re2j would never finish compiling {@code regex} as {@code Pattern.compile(regex)} does, or null when it
   * would. Throws what re2j throws when {@code regex} is not RE2 syntax, as re2j would, without hanging first.
   */
  static String hangReason(String regex) throws PatternSyntaxException {
    Rewrites r = rewrite(regex);
    if (!r.folds()) {
      return null;
    }
    Re2jSyntaxTree.parse(r.unfolded()); // the syntax errors of regex itself: only the flag letters differ
    int[] hit;
    try {
      hit = hit(Re2jSyntaxTree.parse(r.marked()), r.markerPrefix(), false);
    } catch (PatternSyntaxException e) {
      // A capture cannot stand where the flags did (a(?i)* repeats the a): every rune counts as folded then.
      hit = hit(Re2jSyntaxTree.parse(r.plain()), r.markerPrefix(), true);
    }
    if (hit == null) {
      return null;
    }
    String runes = hit[0] == hit[1] ? code(hit[0]) : code(hit[0]) + "–" + code(hit[1]);
    return "case-insensitive matching of " + runes + " (" + block(hit[0]) + ") cannot be checked: re2j, which xds"
        + " validates regexes with, never finishes compiling it (google/re2j#168); write these letters' cases out"
        + " explicitly";
  }

  /**
   * {@code unfolded}: regex with U for each i flag; {@code plain}: also named classes as \d and no negated classes;
   * {@code marked}: also each folded stretch in a capture named {@code markerPrefix} + n.
   */
  private record Rewrites(boolean folds, String unfolded, String plain, String marked, String markerPrefix) {}

  private static final class Out {
    final StringBuilder unfolded = new StringBuilder();
    final StringBuilder plain = new StringBuilder();
    final StringBuilder marked = new StringBuilder();

    void all(CharSequence s) {
      both(s, s);
    }

    void both(CharSequence unfoldedText, CharSequence plainText) {
      unfolded.append(unfoldedText);
      plain.append(plainText);
      marked.append(plainText);
    }
  }

  /** Reads regex as re2j's parser (Parser.parseInternal, parseClass) splits it into escapes, classes and groups. */
  private static Rewrites rewrite(String re) {
    String prefix = "re2jfold";
    while (re.contains(prefix)) {
      prefix += "x";
    }
    Out o = new Out();
    List<Boolean> closesMarker = new ArrayList<>(List.of(false)); // per open group, the whole regex first
    boolean inMarker = false;
    boolean folds = false;
    int markers = 0;
    int n = re.length();
    int i = 0;
    while (i < n) {
      char c = re.charAt(i);
      if (c == '\\' && re.startsWith("\\Q", i)) { // literal up to \E, as re2j reads it
        int end = re.indexOf("\\E", i + 2);
        int stop = end < 0 ? n : end + 2;
        o.all(re.substring(i, stop));
        i = stop;
      } else if (c == '\\') {
        i = escape(re, i, o);
      } else if (c == '[') {
        i = charClass(re, i, o);
      } else if (c == '(' && (re.startsWith("(?P<", i) || re.startsWith("(?<", i))) {
        int end = re.indexOf('>', i);
        int stop = end < 0 ? n : end + 1;
        o.all(re.substring(i, stop));
        closesMarker.add(false);
        i = stop;
      } else if (c == '(' && re.startsWith("(?", i)) {
        int j = i + 2;
        while (j < n && FLAGS.indexOf(re.charAt(j)) >= 0) {
          j++;
        }
        String flags = re.substring(i + 2, j);
        int dash = flags.indexOf('-');
        boolean on = flags.substring(0, dash < 0 ? flags.length() : dash).indexOf('i') >= 0;
        o.all("(?" + flags.replace('i', 'U'));
        i = j;
        if (j < n && (re.charAt(j) == ':' || re.charAt(j) == ')')) {
          o.all(re.substring(j, j + 1));
          i = j + 1;
          if (re.charAt(j) == ':') {
            closesMarker.add(false);
          }
          if (on) {
            folds = true;
            if (!inMarker) { // folding lasts to the end of the group the flags are in, or of the (?i:...) group
              o.marked.append("(?P<").append(prefix).append(markers++).append('>');
              closesMarker.set(closesMarker.size() - 1, true);
              inMarker = true;
            }
          }
        } // else not flags re2j takes: the unfolded parse reports it
      } else if (c == '(') {
        o.all("(");
        closesMarker.add(false);
        i++;
      } else if (c == ')') {
        if (closesMarker.size() > 1 && closesMarker.remove(closesMarker.size() - 1)) {
          o.marked.append(')');
          inMarker = false;
        }
        o.all(")");
        i++;
      } else {
        i = codePoint(re, i, o);
      }
    }
    if (closesMarker.get(0)) {
      o.marked.append(')');
    }
    return new Rewrites(folds, noFoldFlag(o.unfolded), noFoldFlag(o.plain), noFoldFlag(o.marked), prefix);
  }

  /** An escape at {@code i}: re2j's parser reads {@code \p{...}} to its brace, and any other escape's rest as runes. */
  private static int escape(String re, int i, Out o) {
    int n = re.length();
    if (i + 1 >= n) {
      o.all("\\");
      return n;
    }
    char d = re.charAt(i + 1);
    int stop;
    if ((d == 'p' || d == 'P') && i + 2 < n) {
      if (re.charAt(i + 2) == '{') {
        int end = re.indexOf('}', i + 3);
        stop = end < 0 ? n : end + 1;
      } else {
        stop = i + 2 + Character.charCount(re.codePointAt(i + 2));
      }
    } else {
      stop = i + 1 + Character.charCount(re.codePointAt(i + 1));
    }
    String esc = re.substring(i, stop);
    // Tables fold these, never re2j's orbit walk; as \d (ASCII digits) they add none of their own runes.
    boolean named = d == 'p' || d == 'P' || d == 'D' || d == 'W' || d == 'S';
    o.both(esc, named ? "\\d" : esc);
    return stop;
  }

  /** A class at {@code i} ({@code [}), as re2j's parseClass reads it. */
  private static int charClass(String re, int i, Out o) {
    int n = re.length();
    o.all("[");
    i++;
    if (i < n && re.charAt(i) == '^') {
      o.both("^", ""); // negated after folding: its items are what is folded
      i++;
    }
    boolean first = true;
    while (i < n && (re.charAt(i) != ']' || first)) {
      first = false;
      if (re.startsWith("[:", i)) {
        int end = re.indexOf(":]", i + 1); // re2j: any ":]" later on, else [ is a rune
        if (end >= 0) {
          String named = re.substring(i, end + 2);
          o.both(named, named.startsWith("[:^") ? "[:" + named.substring(3) : named);
          i = end + 2;
          continue;
        }
      }
      i = re.charAt(i) == '\\' ? escape(re, i, o) : codePoint(re, i, o);
    }
    if (i < n) {
      o.all("]");
      i++;
    }
    return i;
  }

  private static int codePoint(String re, int i, Out o) {
    int stop = i + Character.charCount(re.codePointAt(i));
    o.all(re.substring(i, stop));
    return stop;
  }

  /**
   * Belt and braces: no {@code i} after {@code (?} and flag letters reaches re2j, even one the reading above took for
   * a rune. U is a flag as i is (same syntax) and sorts below it (a class range stays valid).
   */
  private static String noFoldFlag(StringBuilder s) {
    for (int i = 0; i + 1 < s.length(); i++) {
      if (s.charAt(i) == '(' && s.charAt(i + 1) == '?') {
        for (int j = i + 2; j < s.length() && FLAGS.indexOf(s.charAt(j)) >= 0; j++) {
          if (s.charAt(j) == 'i') {
            s.setCharAt(j, 'U');
          }
        }
      }
    }
    return s.toString();
  }

  /** The first never-ending range a literal or class in a marker capture (anywhere, if {@code inside}) touches. */
  private static int[] hit(Node n, String markerPrefix, boolean inside) {
    boolean in = inside || (n.op() == Op.CAPTURE && n.name() != null && n.name().startsWith(markerPrefix));
    if (in && (n.op() == Op.LITERAL || n.op() == Op.CHAR_CLASS)) {
      int[] runes = n.runes();
      boolean pairs = n.op() == Op.CHAR_CLASS;
      for (int k = 0; k < runes.length; k += pairs ? 2 : 1) {
        int lo = runes[k];
        int hi = pairs ? runes[k + 1] : lo;
        for (int t = 0; t < NEVER_ENDING.length; t += 2) {
          if (lo <= NEVER_ENDING[t + 1] && NEVER_ENDING[t] <= hi) {
            return new int[] {NEVER_ENDING[t], NEVER_ENDING[t + 1]};
          }
        }
      }
    }
    for (Node sub : n.subs()) {
      int[] hit = hit(sub, markerPrefix, in);
      if (hit != null) {
        return hit;
      }
    }
    return null;
  }

  private static String code(int rune) {
    return String.format(Locale.ROOT, "U+%04X", rune);
  }

  /** The Unicode block's name as the standard spells it (CYRILLIC_EXTENDED_C: Cyrillic Extended-C). */
  private static String block(int rune) {
    Character.UnicodeBlock block = Character.UnicodeBlock.of(rune);
    if (block == null) {
      return "no block";
    }
    StringBuilder name = new StringBuilder();
    for (String word : block.toString().split("_")) {
      if (!name.isEmpty()) {
        name.append(word.length() == 1 ? '-' : ' ');
      }
      name.append(word.charAt(0)).append(word.substring(1).toLowerCase(Locale.ROOT));
    }
    return name.toString();
  }
}
