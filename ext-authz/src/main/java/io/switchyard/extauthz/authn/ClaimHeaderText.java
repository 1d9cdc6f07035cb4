package io.switchyard.extauthz.authn;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Claim values as Envoy's jwt_authn writes them into {@code claim_to_headers} headers (authenticator.cc
 * addJWTClaimToHeader). jwt_verify_lib holds the payload as a protobuf Struct, so every JSON number is a double there,
 * whatever Java type the parser here gave it.
 */
final class ClaimHeaderText {
  private static final double TWO_TO_64 = 0x1p64;

  private ClaimHeaderText() {}

  /**
   * convertClaimDoubleToString: a whole number in [0, 2^64) as that integer; any other as std::to_string does, which is
   * printf("%f") of the exact binary value (so 5e-7, just below 0.0000005, is "0.000000" and -1e-7 is "-0.000000").
   */
  static String number(Number n) {
    double d = n.doubleValue();
    if (!Double.isFinite(d)) {
      // JSON has no such numbers; nothing a parser hands over should get here.
      return null;
    }
    if (d < 0 || d >= TWO_TO_64 || d != Math.rint(d)) {
      String fixed = new BigDecimal(d).setScale(6, RoundingMode.HALF_EVEN).toPlainString();
      // BigDecimal has no negative zero: a negative value printf rounds to 0 keeps its sign.
      return d < 0 && !fixed.startsWith("-") ? "-" + fixed : fixed;
    }
    return new BigDecimal(d).toBigInteger().toString();
  }
}
