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

  public static String sha256(String token) {
    MessageDigest d = DIGEST.get();
    d.reset();
    return HexFormat.of().formatHex(d.digest(token.getBytes(StandardCharsets.UTF_8)));
  }
}
