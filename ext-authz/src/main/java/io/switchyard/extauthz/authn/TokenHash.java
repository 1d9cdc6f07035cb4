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

  private static final int MEMO_SLOTS = 1024;
  /**
   * Recent tokens and their digests, one per slot. A slot is chosen from the token's tail (a JWT's
   * tail is signature bytes, so tokens spread well) and trusted only when the whole token is equal,
   * so a crafted token that lands in a busy slot costs a digest, never a wrong one. Entries are
   * immutable, so racing writers and readers need no lock.
   */
  private static final Memo[] MEMO = new Memo[MEMO_SLOTS];

  private record Memo(String token, String digestChars) {}

  private TokenHash() {}

  /**
   * The 32 digest bytes as 32 chars (0-255): half the length of hex and no formatting, for in-memory
   * keys only. SHA-256 keeps distinct tokens apart (no practical collision); a cheaper
   * non-cryptographic hash would let a caller craft a token that shares another caller's entry.
   * A token seen recently is compared, not hashed again: comparing is an order of magnitude cheaper,
   * and the memo hands back the same String, whose hash code is then already computed.
   */
  public static String sha256Chars(String token) {
    int slot = slot(token);
    Memo m = MEMO[slot];
    if (m == null || !m.token().equals(token)) {
      MessageDigest d = DIGEST.get();
      d.reset();
      char[] chars = new char[32];
      byte[] digest = d.digest(token.getBytes(StandardCharsets.UTF_8));
      for (int i = 0; i < 32; i++) {
        chars[i] = (char) (digest[i] & 0xff);
      }
      m = new Memo(token, new String(chars));
      MEMO[slot] = m;
    }
    return m.digestChars();
  }

  private static int slot(String token) {
    int h = token.length();
    for (int i = Math.max(0, token.length() - 8); i < token.length(); i++) {
      h = h * 31 + token.charAt(i);
    }
    return (h ^ (h >>> 16)) & (MEMO_SLOTS - 1);
  }

  public static String sha256(String token) {
    MessageDigest d = DIGEST.get();
    d.reset();
    return HexFormat.of().formatHex(d.digest(token.getBytes(StandardCharsets.UTF_8)));
  }
}
