package io.switchyard.ratelimit.config;

import java.util.ArrayList;
import java.util.List;

/** A value pattern where each {@code *} matches zero or more characters (leading, trailing, middle, several). */
final class Glob {
  private final String prefix;
  private final String suffix;
  private final String[] middle;
  private final int minLength;

  private Glob(String prefix, String suffix, String[] middle) {
    this.prefix = prefix;
    this.suffix = suffix;
    this.middle = middle;
    int len = prefix.length() + suffix.length();
    for (String m : middle) {
      len += m.length();
    }
    this.minLength = len;
  }

  static Glob compile(String pattern) {
    int first = pattern.indexOf('*');
    if (first < 0) {
      throw new IllegalArgumentException("not a wildcard pattern: " + pattern);
    }
    int last = pattern.lastIndexOf('*');
    String prefix = pattern.substring(0, first);
    String suffix = pattern.substring(last + 1);
    List<String> middle = new ArrayList<>();
    for (String part : pattern.substring(first + 1, last < first + 1 ? first + 1 : last).split("\\*", -1)) {
      if (!part.isEmpty()) {
        middle.add(part);
      }
    }
    return new Glob(prefix, suffix, middle.toArray(String[]::new));
  }

  boolean matches(String s) {
    if (s.length() < minLength || !s.startsWith(prefix) || !s.endsWith(suffix)) {
      return false;
    }
    // Leftmost placement of each middle part is optimal for '*'-only globs: it leaves the most room.
    int pos = prefix.length();
    int end = s.length() - suffix.length();
    for (String m : middle) {
      int found = s.indexOf(m, pos);
      if (found < 0 || found + m.length() > end) {
        return false;
      }
      pos = found + m.length();
    }
    return true;
  }
}
