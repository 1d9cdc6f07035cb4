package io.switchyard.extauthz.request;

import java.util.ArrayList;
import java.util.List;

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
    StringBuilder b = new StringBuilder(path.length());
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == '%' && i + 2 < path.length()) {
        int hi = Character.digit(path.charAt(i + 1), 16);
        int lo = Character.digit(path.charAt(i + 2), 16);
        if (hi >= 0 && lo >= 0) {
          int v = hi * 16 + lo;
          if (v == 0) {
            return new Result(path, query, "path contains %00");
          }
          if (unreserved(v) || (mode == Mode.DECODE_AND_MERGE_SLASHES && (v == '/' || v == '\\'))) {
            b.append((char) v);
            i += 2;
            continue;
          }
          // Envoy's copy of Chromium's canonicaliser keeps such an escape exactly, hex case included, "in case the
          // server is sensitive to changing the case of any hex letters" — and url_path matches case-sensitively.
          b.append(path, i, i + 3);
          i += 2;
          continue;
        }
      }
      if (escaped(c)) {
        b.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
        continue;
      }
      b.append(c == '\\' ? '/' : c);
    }
    String p = removeDotSegments(b.toString().replace('\\', '/'));
    // Envoy merges slashes after canonicalising (ConnectionManagerUtility::maybeNormalizePath), so in "/a//../b"
    // the ".." removes the empty segment: "/a/b", not "/b".
    if (mode == Mode.MERGE_SLASHES || mode == Mode.DECODE_AND_MERGE_SLASHES) {
      p = p.replaceAll("/{2,}", "/");
    }
    return new Result(p, query, null);
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

  static String removeDotSegments(String path) {
    String[] segs = path.split("/", -1);
    List<String> out = new ArrayList<>(segs.length);
    for (int i = 1; i < segs.length; i++) {
      String s = segs[i];
      boolean last = i == segs.length - 1;
      if (s.equals(".")) {
        if (last) {
          out.add("");
        }
      } else if (s.equals("..")) {
        if (!out.isEmpty()) {
          out.remove(out.size() - 1);
        }
        if (last) {
          out.add("");
        }
      } else {
        out.add(s);
      }
    }
    return "/" + String.join("/", out);
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
