package io.switchyard.extauthz.request;

/**
 * Istio's request path normalisation, applied before matching because Envoy's own normalisation
 * depends on listener settings this server cannot see. A path that Envoy would answer with 400
 * comes back with an error and is denied.
 */
public final class PathNormalizer {
  /** Istio's {@code pathNormalization.normalization} values that change matching. */
  public enum Mode { NONE, BASE, MERGE_SLASHES, DECODE_AND_MERGE_SLASHES }

  /**
   * {@code path} has no query or fragment, and is null when the request has none; {@code error} is non-null when the
   * request must be rejected.
   */
  public record Result(String path, String query, String error) {}

  private final Mode mode;

  public PathNormalizer(Mode mode) {
    this.mode = mode;
  }

  public Result normalize(String raw) {
    if (raw == null || raw.isEmpty()) {
      // A plain CONNECT has no :path. Envoy neither normalises nor refuses it (maybeNormalizePath skips a missing
      // path), and RBAC's url_path matcher then matches nothing: a path the policies cannot match, not a bad request.
      return new Result(null, null, null);
    }
    int q = indexOfAny(raw, '?', '#');
    String path = q < 0 ? raw : raw.substring(0, q);
    String query = null;
    if (q >= 0 && raw.charAt(q) == '?') {
      int hash = raw.indexOf('#', q);
      query = raw.substring(q + 1, hash < 0 ? raw.length() : hash);
    }
    if (!path.startsWith("/")) {
      return new Result(path, query, "path does not start with '/'");
    }
    boolean plain = true;
    char prev = 0;
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c <= 0x20 || c >= 0x7f) {
        return new Result(path, query, "invalid character in path");
      }
      // Escapes, backslashes, characters to escape, dot segments and (when merging) double slashes are what
      // normalising changes.
      if (c == '%' || c == '\\' || escaped(c) || (prev == '/' && (c == '.' || (c == '/' && mode != Mode.BASE)))) {
        plain = false;
      }
      prev = c;
    }
    if (mode == Mode.NONE || plain) {
      return new Result(path, query, null);
    }
    String in = mode == Mode.DECODE_AND_MERGE_SLASHES ? unescapeSlashes(path) : path;
    String p = canonicalize(in);
    if (p == null) {
      return new Result(path, query, "path contains %00");
    }
    // Envoy merges slashes after canonicalising (ConnectionManagerUtility::maybeNormalizePath), so in "/a//../b"
    // the ".." removes the empty segment: "/a/b", not "/b".
    if (mode == Mode.MERGE_SLASHES || mode == Mode.DECODE_AND_MERGE_SLASHES) {
      p = p.replaceAll("/{2,}", "/");
    }
    return new Result(p, query, null);
  }

  /** Envoy's PathUtil::unescapeSlashes, which runs before the canonicaliser: %2F/%2f are '/', %5C/%5c are '\'. */
  private static String unescapeSlashes(String path) {
    if (path.indexOf('%') < 0) {
      return path;
    }
    StringBuilder b = new StringBuilder(path.length());
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == '%' && i + 2 < path.length()) {
        char hi = path.charAt(i + 1);
        char lo = path.charAt(i + 2);
        if (hi == '2' && (lo == 'F' || lo == 'f')) {
          b.append('/');
          i += 2;
          continue;
        }
        if (hi == '5' && (lo == 'C' || lo == 'c')) {
          b.append('\\');
          i += 2;
          continue;
        }
      }
      b.append(c);
    }
    return b.toString();
  }

  /**
   * Envoy's copy of Chromium's DoPartialPath (source/common/chromium_url/url_canon_path.cc), step for step, for a path
   * of printable ASCII starting with '/'; null where it fails (an escaped NUL). Dot segments are resolved on the output
   * as it is written, and the position of the last '%' that started no escape is remembered in output coordinates,
   * even after ".." cut the output back: CheckForNestedEscapes depends on both, so they are kept as Chromium has them.
   */
  static String canonicalize(String in) {
    int end = in.length();
    StringBuilder out = new StringBuilder(end + 8);
    int lastInvalidPercent = Integer.MIN_VALUE;
    boolean success = true;
    for (int i = 0; i < end; i++) {
      char c = in.charAt(i);
      if (!special(c)) {
        out.append(c);
        continue;
      }
      int dotLen = isDot(in, i, end);
      if (dotLen > 0) {
        if (out.length() > 0 && out.charAt(out.length() - 1) == '/') {
          int after = i + dotLen;
          int second = after < end && !isSlash(in.charAt(after)) ? isDot(in, after, end) : 0;
          if (after == end) {
            i += dotLen - 1; // "." at the end: the current directory
          } else if (isSlash(in.charAt(after))) {
            i += dotLen; // "./"
          } else if (second > 0 && (after + second == end || isSlash(in.charAt(after + second)))) {
            backUpToPreviousSlash(out);
            i += dotLen + second - 1 + (after + second == end ? 0 : 1); // ".." or "../"
          } else {
            out.append('.');
            i += dotLen - 1;
          }
        } else {
          out.append('.');
          i += dotLen - 1;
        }
      } else if (c == '\\') {
        out.append('/');
      } else if (c == '%') {
        int v = decodeEscaped(in, i, end);
        if (v >= 0) {
          i += 2;
          if (unreserved(v)) {
            out.append((char) v);
            if (lastInvalidPercent >= out.length() - 3) {
              checkForNestedEscapes(in, i + 1, end, lastInvalidPercent, out);
            }
          } else {
            // Kept exactly, hex case included, "in case the server is sensitive to changing the case of any hex
            // letters" — and url_path matches case-sensitively.
            out.append('%').append(in.charAt(i - 1)).append(in.charAt(i));
            success &= v != 0;
          }
        } else {
          lastInvalidPercent = out.length();
          out.append('%');
        }
      } else {
        out.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
      }
    }
    return success ? out.toString() : null;
  }

  /**
   * Chromium's CheckForNestedEscapes: a character was just unescaped within two output characters of a '%' that
   * started no escape in the input. If that '%' now starts a valid escape in the output ("%%300" → "%00"), it is
   * written "%25", so the output cannot be read as a different path.
   */
  private static void checkForNestedEscapes(String in, int next, int end, int lastInvalidPercent, StringBuilder out) {
    int length = out.length();
    char lastUnescaped = out.charAt(length - 1);
    // Output "%c": try the next input character too ("%%30%30" is caught at its second escape).
    boolean appendNext = lastInvalidPercent == length - 2;
    if (appendNext) {
      if (next == end) {
        return;
      }
      out.append(in.charAt(next));
    }
    if (decodeEscaped(out, lastInvalidPercent, out.length()) >= 0) {
      if (!appendNext) {
        out.append(out.charAt(lastInvalidPercent + 1));
      }
      out.setCharAt(lastInvalidPercent + 1, '2');
      out.setCharAt(lastInvalidPercent + 2, '5');
      out.append(lastUnescaped);
    } else if (appendNext) {
      out.setLength(length);
    }
  }

  /** Chromium's DecodeEscaped: the value of the escape at {@code at} (a '%' is not checked), or -1. */
  private static int decodeEscaped(CharSequence s, int at, int end) {
    if (at + 3 > end) {
      return -1;
    }
    int hi = hex(s.charAt(at + 1));
    int lo = hex(s.charAt(at + 2));
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
  }

  private static int hex(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
  }

  /** Chromium's IsDot: 1 for '.', 3 for "%2e" / "%2E", else 0. */
  private static int isDot(String s, int at, int end) {
    char c = s.charAt(at);
    if (c == '.') {
      return 1;
    }
    return c == '%' && at + 3 <= end && s.charAt(at + 1) == '2' && (s.charAt(at + 2) == 'e' || s.charAt(at + 2) == 'E') ? 3 : 0;
  }

  private static boolean isSlash(char c) {
    return c == '/' || c == '\\';
  }

  /** Chromium's BackUpToPreviousSlash: the output ends with '/'; cut it after the slash before, never above the first. */
  private static void backUpToPreviousSlash(StringBuilder out) {
    int i = out.length() - 1;
    if (i == 0) {
      return;
    }
    i--;
    while (out.charAt(i) != '/' && i > 0) {
      i--;
    }
    out.setLength(i + 1);
  }

  /** Printable ASCII that kPathCharLookup marks SPECIAL: escapes, dots, backslashes and the characters to escape. */
  private static boolean special(char c) {
    return c == '%' || c == '.' || c == '\\' || escaped(c);
  }

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  /**
   * The printable ASCII characters Chromium's kPathCharLookup (Envoy's source/common/chromium_url/url_canon_path.cc)
   * marks ESCAPE: Envoy's normalisation writes them as %XX, upper-case hex, so RBAC matches that form.
   */
  private static boolean escaped(char c) {
    switch (c) {
      case '"': case '<': case '>': case '^': case '`': case '{': case '|': case '}':
        return true;
      default:
        return false;
    }
  }

  private static boolean unreserved(int v) {
    return (v >= '0' && v <= '9') || (v >= 'A' && v <= 'Z') || (v >= 'a' && v <= 'z') || v == '-' || v == '.' || v == '_' || v == '~';
  }

  private static int indexOfAny(String s, char a, char b) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == a || c == b) {
        return i;
      }
    }
    return -1;
  }
}
