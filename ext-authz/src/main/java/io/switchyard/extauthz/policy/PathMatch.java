package io.switchyard.extauthz.policy;

import java.util.regex.Pattern;

/**
 * A {@code paths} value: Istio's string forms, or a path template with {@code {*}} (one non-empty
 * segment) and {@code {**}} (any segments; only as the last operator), matched as Envoy's uri_template
 * matcher that Istio configures for them matches. Values are validated as Istio's
 * {@code CheckValidPathTemplate} (pkg/config/security/security.go) does.
 */
final class PathMatch {
  private static final String MATCH_ONE = "{*}";
  private static final String MATCH_ANY = "{**}";
  /** RFC 3986 pchar as Istio's {@code validLiteral} spells it: unreserved, '%', sub-delims but '*', ':', '@'. */
  private static final String PCHAR = "a-zA-Z0-9\\-._~%!$&'()+,;:@=";
  private static final Pattern VALID_LITERAL = Pattern.compile("[" + PCHAR + "]+");
  /**
   * Envoy's uri_template_internal.cc turns {@code *} into {@code [kLiteral]+} and {@code **} into
   * {@code [kLiteral/]*}, kLiteral being these same pchars: a segment holding '*', '[', '|', … matches neither.
   */
  private static final String MATCH_ONE_REGEX = "[" + PCHAR + "]+";
  private static final String MATCH_ANY_REGEX = "[" + PCHAR + "/]*";

  private final StringMatch plain;
  private final Pattern template;

  private PathMatch(StringMatch plain, Pattern template) {
    this.plain = plain;
    this.template = template;
  }

  static boolean isTemplate(String v) {
    return v.contains(MATCH_ONE) || v.contains(MATCH_ANY);
  }

  /** Parses a value; throws IllegalArgumentException with the reason (without the value) when Istio would reject it. */
  static PathMatch parse(String v) {
    validate(v);
    if (!isTemplate(v)) {
      return new PathMatch(StringMatch.of(v, false), null);
    }
    if (!v.startsWith("/")) {
      // Istio's validation lets this through, but Envoy's uri_template matcher requires the leading '/'.
      throw new IllegalArgumentException("a path template must start with '/'");
    }
    StringBuilder re = new StringBuilder();
    for (String s : v.substring(1).split("/", -1)) {
      re.append('/');
      if (s.equals(MATCH_ONE)) {
        re.append(MATCH_ONE_REGEX);
      } else if (s.equals(MATCH_ANY)) {
        re.append(MATCH_ANY_REGEX);
      } else if (!s.isEmpty()) {
        re.append(Pattern.quote(s));
      }
    }
    return new PathMatch(null, Pattern.compile(re.toString()));
  }

  /**
   * Istio's CheckValidPathTemplate: with leading and trailing '/' trimmed, each segment is {*} or {**}
   * (no operator after {**}), has no '{' or '}' (in any path, template or not) and, in a template, is a
   * non-empty pchar literal.
   */
  private static void validate(String v) {
    boolean template = isTemplate(v);
    int from = 0;
    int to = v.length();
    while (from < to && v.charAt(from) == '/') {
      from++;
    }
    while (to > from && v.charAt(to - 1) == '/') {
      to--;
    }
    boolean seenMatchAny = false;
    for (String glob : v.substring(from, to).split("/", -1)) {
      boolean operator = glob.equals(MATCH_ONE) || glob.equals(MATCH_ANY);
      if (operator && seenMatchAny) {
        throw new IllegalArgumentException("{**} must be the last operator in a path template");
      }
      if (operator) {
        seenMatchAny |= glob.equals(MATCH_ANY);
        continue;
      }
      if (glob.indexOf('{') >= 0 || glob.indexOf('}') >= 0) {
        throw new IllegalArgumentException(template
            ? "operators {*} and {**} must be whole path segments (segment '" + glob + "')"
            : "'{' and '}' are only allowed in the path template operators {*} and {**}, each a whole path segment");
      }
      if (template && !VALID_LITERAL.matcher(glob).matches()) {
        throw new IllegalArgumentException("segment '" + glob + "' of a path template must be a non-empty literal of the characters "
            + "a-z A-Z 0-9 - . _ ~ % ! $ & ' ( ) + , ; : @ =");
      }
    }
  }

  boolean matches(String path) {
    if (path == null) {
      return false;
    }
    return template != null ? template.matcher(path).matches() : plain.matches(path);
  }
}
