package io.switchyard.extauthz.policy;

/**
 * Istio's string value forms: {@code v} exact, {@code v*} prefix, {@code *v} suffix and {@code *}
 * present. A {@code *} anywhere else is a literal character.
 */
final class StringMatch {
  enum Kind { EXACT, PREFIX, SUFFIX, PRESENT }

  private final Kind kind;
  private final String value;
  private final boolean ignoreCase;
  private final boolean emptyIsPresent;

  private StringMatch(Kind kind, String value, boolean ignoreCase, boolean emptyIsPresent) {
    this.kind = kind;
    this.value = ignoreCase ? asciiLower(value) : value;
    this.ignoreCase = ignoreCase;
    this.emptyIsPresent = emptyIsPresent;
  }

  /** {@code *} means "present and non-empty". */
  static StringMatch of(String v, boolean ignoreCase) {
    return parse(v, ignoreCase, false);
  }

  /**
   * Istio's HostMatcher: ignoring case, and {@code *} is Envoy's present_match on :authority, so an empty Host matches.
   */
  static StringMatch host(String v) {
    return parse(v, true, true);
  }

  /** For headers {@code *} means "the header is present", even with an empty value. */
  static StringMatch header(String v) {
    return parse(v, false, true);
  }

  /** Case-sensitive matchers of one explicit kind, for values Istio splits before matching (request principals). */
  static StringMatch exact(String v) {
    return new StringMatch(Kind.EXACT, v, false, false);
  }

  static StringMatch prefix(String v) {
    return new StringMatch(Kind.PREFIX, v, false, false);
  }

  static StringMatch suffix(String v) {
    return new StringMatch(Kind.SUFFIX, v, false, false);
  }

  /** Any non-empty value (Istio's {@code .+}). */
  static StringMatch nonEmpty() {
    return new StringMatch(Kind.PRESENT, "", false, false);
  }

  private static StringMatch parse(String v, boolean ignoreCase, boolean emptyIsPresent) {
    if (v.equals("*")) {
      return new StringMatch(Kind.PRESENT, "", ignoreCase, emptyIsPresent);
    }
    if (v.startsWith("*")) {
      return new StringMatch(Kind.SUFFIX, v.substring(1), ignoreCase, emptyIsPresent);
    }
    if (v.endsWith("*")) {
      return new StringMatch(Kind.PREFIX, v.substring(0, v.length() - 1), ignoreCase, emptyIsPresent);
    }
    return new StringMatch(Kind.EXACT, v, ignoreCase, emptyIsPresent);
  }

  /**
   * Envoy's ignore_case (absl::EqualsIgnoreCase and its StartsWith/EndsWith forms) folds A-Z only; Java's toLowerCase
   * would also fold letters such as the Kelvin sign U+212A into 'k'.
   */
  static String asciiLower(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 'A' && c <= 'Z') {
        char[] out = s.toCharArray();
        for (int j = i; j < out.length; j++) {
          char d = out[j];
          if (d >= 'A' && d <= 'Z') {
            out[j] = (char) (d + ('a' - 'A'));
          }
        }
        return new String(out);
      }
    }
    return s;
  }

  Kind kind() {
    return kind;
  }

  String value() {
    return value;
  }

  boolean matches(String s) {
    if (s == null) {
      return false;
    }
    String t = ignoreCase ? asciiLower(s) : s;
    switch (kind) {
      case PRESENT:
        return emptyIsPresent || !t.isEmpty();
      case PREFIX:
        return t.startsWith(value);
      case SUFFIX:
        return t.endsWith(value);
      default:
        return t.equals(value);
    }
  }
}
