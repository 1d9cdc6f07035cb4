package io.switchyard.extauthz.authn;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 of a token: caches and logs carry this, never the bearer credential itself. */
public final class TokenHash {
  private static final ThreadLocal<MessageDigest> DIGEST = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  });

  private TokenHash() {}

  /**
   * Appends the 32 digest bytes as 32 chars (0-255): half the length of hex and no formatting, for
   * in-memory keys only. SHA-256 keeps distinct tokens apart (no practical collision); a cheaper
   * non-cryptographic hash would let a caller craft a token that shares another caller's entry.
   */
  public static void appendSha256(StringBuilder b, String token) {
    MessageDigest d = DIGEST.get();
    d.reset();
    for (byte x : d.digest(token.getBytes(StandardCharsets.UTF_8))) {
      b.append((char) (x & 0xff));
    }
  }

  public static String sha256(String token) {
    MessageDigest d = DIGEST.get();
    d.reset();
    return HexFormat.of().formatHex(d.digest(token.getBytes(StandardCharsets.UTF_8)));
  }
}
