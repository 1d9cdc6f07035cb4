package io.switchyard.extauthz.request;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PathNormalizerTest {
  private final PathNormalizer base = new PathNormalizer(PathNormalizer.Mode.BASE);

  @ParameterizedTest
  @CsvSource({
      "/a/b?x=1,/a/b",
      "/a/b#frag,/a/b",
      "/a/./b,/a/b",
      "/a/../b,/b",
      "/a/b/..,/a/",
      "/../../a,/a",
      "/a/%2E%2E/b,/b",
      "/%61dmin,/admin",
      "/a%2Fb,/a%2Fb",
      "/a%2fb,/a%2fb",
      "/a\\b,/a/b",
      "/a//b,/a//b",
      "/%7Euser,/~user",
      "/a%20b,/a%20b",
  })
  void baseNormalisationDecodesUnreservedAndResolvesDotSegments(String raw, String expected) {
    assertThat(base.normalize(raw).path()).isEqualTo(expected);
    assertThat(base.normalize(raw).error()).isNull();
  }

  /**
   * Envoy's copy of Chromium's path canonicaliser (source/common/chromium_url/url_canon_path.cc) copies an escape it
   * keeps exactly, "in case the server is sensitive to changing the case of any hex letters"; Envoy's
   * path_utility_test pins "/a/%2F%2f/c", "/%5c%25" and "/%c0%af" as unchanged.
   */
  @ParameterizedTest
  @CsvSource({"/a/%2F%2f/c,/a/%2F%2f/c", "/%5c%25,/%5c%25", "/%c0%af,/%c0%af", "/%7e%2e/x,/~./x", "/a/%2e%2E/b,/b"})
  void keptEscapesKeepTheCaseOfTheirHexDigitsAsEnvoysCanonicaliserDoes(String raw, String expected) {
    for (PathNormalizer.Mode m : new PathNormalizer.Mode[] {PathNormalizer.Mode.BASE, PathNormalizer.Mode.MERGE_SLASHES}) {
      assertThat(new PathNormalizer(m).normalize(raw).path()).as(m.name()).isEqualTo(expected);
    }
  }

  /**
   * Nested invalid escapes, as Envoy's copy of Chromium's DoPartialPath / CheckForNestedEscapes
   * (source/common/chromium_url/url_canon_path.cc) writes them: a '%' that starts no escape is kept, but when unescaping
   * a character within two output characters after it would make it the start of a valid escape ("%%300" would read
   * "%00"), that '%' is written "%25", so the path cannot be read as another one. "%%30%30" is caught at the second
   * escape; an escaped dot ("%%2e") is no unescape and is not checked; and Chromium remembers the '%' by its position in
   * the output even after ".." removed it, so a later escape at that position is "fixed" too.
   */
  @ParameterizedTest
  @CsvSource({
      "/%%300,/%2500",
      "/%2%30,/%2520",
      "/%%30%30,/%2500",
      "/%%41B,/%25AB",
      "/%a%62c,/%25abc",
      "/%%41,/%A",
      "/%%41x,/%Ax",
      "/%%2e,/%.",
      "/%%2F30,/%%2F30",
      "/x/%%3%30,/x/%%2530",
      "/ab%/../cd%41%301,/cdA2501",
      "/ab%/../c%41%30,/cA0",
  })
  void nestedInvalidEscapesAreWrittenAsEnvoysCanonicaliserWritesThem(String raw, String expected) {
    for (PathNormalizer.Mode m : new PathNormalizer.Mode[] {PathNormalizer.Mode.BASE, PathNormalizer.Mode.MERGE_SLASHES}) {
      PathNormalizer.Result r = new PathNormalizer(m).normalize(raw);
      assertThat(r.error()).as(m + " " + raw).isNull();
      assertThat(r.path()).as(m + " " + raw).isEqualTo(expected);
    }
  }

  /** Envoy's path_utility_test InvalidPaths: an escaped NUL fails canonicalisation, also after an invalid '%'. */
  @ParameterizedTest
  @CsvSource({"/xyz/.%00../abc", "/xyz/%00.%00./abc", "/xyz/AAAAA%%0000/abc"})
  void envoysInvalidPathsAreRejected(String raw) {
    assertThat(base.normalize(raw).error()).as(raw).isNotNull();
  }

  /** Envoy's path_utility_test NormalizeValidPaths and NormalizeCasePath (those starting with '/'). */
  @ParameterizedTest
  @CsvSource({
      "/a/b/../c,/a/c", "/a/b/./c,/a/b/c", "/a/b/../../../../c,/c", "/a/..\\c,/c", "/%c0%af,/%c0%af", "/%5c%25,/%5c%25",
      "/a/b/%2E%2E/c,/a/c", "/a/b/%2E./c,/a/c", "/a/b/%2E/c,/a/b/c", "/../a/b,/a/b", "/./a/b,/a/b", "/A/B/C,/A/B/C",
      "/a/b/%2e%2e/c,/a/c", "/a/%2F%2f/c,/a/%2F%2f/c", "/xyz,/xyz", "/x/y/z,/x/y/z",
  })
  void envoysValidPathsNormaliseAsInItsTests(String raw, String expected) {
    assertThat(base.normalize(raw).error()).as(raw).isNull();
    assertThat(base.normalize(raw).path()).as(raw).isEqualTo(expected);
  }

  /**
   * The same canonicaliser's kPathCharLookup marks '"', '<', '>', '^', '`', '{', '|' and '}' ESCAPE: they leave
   * normalisation as %XX with upper-case hex (AppendEscapedChar), which is what Envoy's RBAC then matches.
   */
  @Test
  void charactersEnvoysCanonicaliserEscapesAreEscaped() {
    String[][] cases = {
        {"/a{b}", "/a%7Bb%7D"},
        {"/x^y|z", "/x%5Ey%7Cz"},
        {"/q\"<>`", "/q%22%3C%3E%60"},
        {"/a/../{x}", "/%7Bx%7D"},
        {"/[a]*!$&'()+,;=:@", "/[a]*!$&'()+,;=:@"},
    };
    for (String[] c : cases) {
      assertThat(base.normalize(c[0]).path()).as(c[0]).isEqualTo(c[1]);
      assertThat(new PathNormalizer(PathNormalizer.Mode.NONE).normalize(c[0]).path()).as(c[0]).isEqualTo(c[0]);
    }
  }

  /**
   * Envoy's ConnectionManagerUtility::maybeNormalizePath unescapes slashes, then canonicalises (dot segments), then
   * merges slashes: "/a//../b" loses only the empty segment to "..", as Chromium's BackUpToPreviousSlash does.
   */
  @Test
  void slashesAreMergedAfterDotSegmentsAreResolved() {
    assertThat(new PathNormalizer(PathNormalizer.Mode.MERGE_SLASHES).normalize("/a//../b").path()).isEqualTo("/a/b");
    assertThat(new PathNormalizer(PathNormalizer.Mode.MERGE_SLASHES).normalize("/a/b//..//c").path()).isEqualTo("/a/b/c");
    assertThat(new PathNormalizer(PathNormalizer.Mode.DECODE_AND_MERGE_SLASHES).normalize("/a%2F%2F..%2Fb").path()).isEqualTo("/a/b");
    assertThat(base.normalize("/a//../b").path()).isEqualTo("/a/b");
  }

  @Test
  void mergeSlashesCollapsesRepeatedSlashes() {
    assertThat(new PathNormalizer(PathNormalizer.Mode.MERGE_SLASHES).normalize("/a//b///c").path()).isEqualTo("/a/b/c");
    assertThat(new PathNormalizer(PathNormalizer.Mode.MERGE_SLASHES).normalize("/a/b.c//").path()).isEqualTo("/a/b.c/");
  }

  /** Paths that need no normalising skip it; dots inside names are not dot segments. */
  @ParameterizedTest
  @CsvSource({"/cart/42/items", "/a.b/c..d/e.", "/", "/a-b_c~d/", "/v1.2/x"})
  void pathsWithNothingToNormaliseAreKept(String raw) {
    for (PathNormalizer.Mode m : PathNormalizer.Mode.values()) {
      assertThat(new PathNormalizer(m).normalize(raw).path()).isEqualTo(raw);
    }
  }

  @Test
  void decodeAndMergeSlashesDecodesEncodedSlashes() {
    PathNormalizer n = new PathNormalizer(PathNormalizer.Mode.DECODE_AND_MERGE_SLASHES);
    assertThat(n.normalize("/a%2F%2Fb%5Cc").path()).isEqualTo("/a/b/c");
  }

  @Test
  void nulEscapeIsRejected() {
    assertThat(base.normalize("/a%00b").error()).contains("%00");
  }

  @Test
  void pathWithoutLeadingSlashOrWithControlCharactersIsRejected() {
    assertThat(base.normalize("a/b").error()).isNotNull();
    assertThat(base.normalize("/a b").error()).isNotNull();
    assertThat(base.normalize("/a\u00e9").error()).isNotNull();
  }

  /** A CONNECT has no :path: nothing to normalise and nothing wrong (Envoy's maybeNormalizePath skips it too). */
  @Test
  void aMissingPathIsNoErrorAndStaysMissing() {
    for (PathNormalizer.Mode m : PathNormalizer.Mode.values()) {
      for (String raw : new String[] {null, ""}) {
        PathNormalizer.Result r = new PathNormalizer(m).normalize(raw);
        assertThat(r.error()).as(m + " " + raw).isNull();
        assertThat(r.path()).as(m + " " + raw).isNull();
        assertThat(r.query()).as(m + " " + raw).isNull();
      }
    }
  }

  @Test
  void queryIsKeptSeparately() {
    PathNormalizer.Result r = base.normalize("/p?access_token=abc&x=1#f");
    assertThat(r.query()).isEqualTo("access_token=abc&x=1");
  }

  @Test
  void noneModeKeepsThePathAsSent() {
    assertThat(new PathNormalizer(PathNormalizer.Mode.NONE).normalize("/a/../%61").path()).isEqualTo("/a/../%61");
  }
}
