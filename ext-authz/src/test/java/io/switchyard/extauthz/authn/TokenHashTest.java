package io.switchyard.extauthz.authn;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.junit.jupiter.api.Test;

class TokenHashTest {
  static String raw(String token) throws Exception {
    StringBuilder b = new StringBuilder();
    for (byte x : MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8))) {
      b.append((char) (x & 0xff));
    }
    return b.toString();
  }

  static String digestChars(String token) {
    return TokenHash.sha256Chars(token);
  }

  /**
   * The memo picks a slot from the token's tail, so tokens that differ only before it share a slot:
   * each must still get its own digest, however the calls interleave.
   */
  @Test
  void tokensSharingAMemoSlotEachGetTheirOwnDigest() throws Exception {
    String tail = ".same-signature-tail";
    String a = "aaaa" + tail;
    String b = "bbbb" + tail;
    for (int i = 0; i < 3; i++) {
      assertThat(digestChars(a)).isEqualTo(raw(a));
      assertThat(digestChars(b)).isEqualTo(raw(b));
      assertThat(digestChars(a)).isEqualTo(raw(a));
    }
    assertThat(digestChars("")).isEqualTo(raw(""));
    assertThat(digestChars("é" + tail)).isEqualTo(raw("é" + tail));
    assertThat(TokenHash.sha256(a)).isEqualTo(java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
        .digest(a.getBytes(StandardCharsets.UTF_8))));
  }
}
