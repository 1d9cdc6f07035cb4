package io.switchyard.extauthz.policy;

import java.util.regex.Pattern;

/**
 * A {@code paths} value: Istio's string forms, or a path template with {@code {*}} (exactly one
 * non-empty segment) and {@code {**}} (anything, including '/'; only as the last operator).
 */
final class PathMatch {
  private final StringMatch plain;
  private final Pattern template;

  private PathMatch(StringMatch plain, Pattern template) {
    this.plain = plain;
    this.template = template;
  }

  static boolean isTemplate(String v) {
    return v.contains("{*}") || v.contains("{**}");
  }

  /** Parses a value; throws IllegalArgumentException with the reason for an invalid template. */
  static PathMatch parse(String v) {
    if (!isTemplate(v)) {
      return new PathMatch(StringMatch.of(v, false), null);
    }
    if (!v.startsWith("/")) {
      throw new IllegalArgumentException("path template '" + v + "' must start with '/'");
    }
    String[] segs = v.substring(1).split("/", -1);
    StringBuilder re = new StringBuilder();
    boolean seenDoubleStar = false;
    for (int i = 0; i < segs.length; i++) {
      String s = segs[i];
      re.append('/');
      if (seenDoubleStar && (s.contains("{*}") || s.contains("{**}"))) {
        throw new IllegalArgumentException("path template '" + v + "': {**} must be the last operator");
      }
      if (s.equals("{*}")) {
        re.append("[^/]+");
      } else if (s.startsWith("{**}")) {
        String rest = s.substring(4);
        checkLiteral(v, rest);
        re.append(".*").append(Pattern.quote(rest).replace("\\Q\\E", ""));
        seenDoubleStar = true;
      } else {
        checkLiteral(v, s);
        if (!s.isEmpty()) {
          re.append(Pattern.quote(s));
        }
      }
    }
    return new PathMatch(null, Pattern.compile(re.toString()));
  }

  private static void checkLiteral(String v, String s) {
    if (s.contains("*") || s.contains("{") || s.contains("}")) {
      throw new IllegalArgumentException("path template '" + v + "': operators {*} and {**} must be whole path segments"
          + " and '*' is not allowed elsewhere in a template");
    }
  }

  boolean matches(String path) {
    if (path == null) {
      return false;
    }
    return template != null ? template.matcher(path).matches() : plain.matches(path);
  }
}
