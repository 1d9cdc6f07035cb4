package io.switchyard.extauthz.authn;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;

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

  /**
   * An object or list claim (envoyproxy/envoy#30377): Envoy's Base64::encode (standard alphabet, padded) of the JSON
   * protobuf's MessageToJsonString prints for the Struct or ListValue; null when that JSON cannot be written. Object
   * members keep the token's order here, where Envoy's come in its protobuf map's order, which is not fixed.
   */
  static String json(Object value) {
    StringBuilder b = new StringBuilder();
    if (!writeJson(b, value)) {
      return null;
    }
    return Base64.getEncoder().encodeToString(b.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static boolean writeJson(StringBuilder b, Object v) {
    if (v == null) {
      b.append("null");
    } else if (v instanceof String s) {
      writeString(b, s);
    } else if (v instanceof Boolean) {
      b.append(v);
    } else if (v instanceof Number n) {
      double d = n.doubleValue();
      if (!Double.isFinite(d)) {
        // protobuf refuses a Value of NaN or infinity, and Envoy then writes no header.
        return false;
      }
      b.append(simpleDtoa(d));
    } else if (v instanceof Map<?, ?> m) {
      b.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!first) {
          b.append(',');
        }
        first = false;
        writeString(b, String.valueOf(e.getKey()));
        b.append(':');
        if (!writeJson(b, e.getValue())) {
          return false;
        }
      }
      b.append('}');
    } else if (v instanceof List<?> l) {
      b.append('[');
      for (int i = 0; i < l.size(); i++) {
        if (i > 0) {
          b.append(',');
        }
        if (!writeJson(b, l.get(i))) {
          return false;
        }
      }
      b.append(']');
    } else {
      return false;
    }
    return true;
  }

  /** protobuf's json_internal JsonWriter::WriteEscapedUtf8 (MustEscape): its escapes, lower-case hex, and UTF-8 otherwise. */
  private static void writeString(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); ) {
      int c = s.codePointAt(i);
      i += Character.charCount(c);
      switch (c) {
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        case '"' -> b.append("\\\"");
        case '\f' -> b.append("\\f");
        case '\b' -> b.append("\\b");
        case '\\' -> b.append("\\\\");
        default -> {
          if (mustEscape(c)) {
            if (c < 0x10000) {
              uEscape(b, c);
            } else {
              uEscape(b, Character.highSurrogate(c));
              uEscape(b, Character.lowSurrogate(c));
            }
          } else {
            b.appendCodePoint(c);
          }
        }
      }
    }
    b.append('"');
  }

  private static boolean mustEscape(int c) {
    return c == '<' || c == '>' || c == 0xfeff || c == 0xfff9 || c == 0xfffa || c == 0xfffb || c == 0x00ad || c == 0x06dd
        || c == 0x070f || c == 0x17b4 || c == 0x17b5 || c == 0xe0001
        || c <= 0x1f || (c >= 0x7f && c <= 0x9f) || (c >= 0x600 && c <= 0x603) || (c >= 0x200b && c <= 0x200f)
        || (c >= 0x2028 && c <= 0x202e) || (c >= 0x2060 && c <= 0x2064) || (c >= 0x206a && c <= 0x206f)
        || (c >= 0x1d173 && c <= 0x1d17a) || (c >= 0xe0020 && c <= 0xe007f);
  }

  private static void uEscape(StringBuilder b, int unit) {
    String hex = Integer.toHexString(unit);
    b.append("\\u").append("0".repeat(4 - hex.length())).append(hex);
  }

  /** protobuf's io::SimpleDtoa, which its JSON writer uses for doubles: %.15g, or %.17g when that does not read back. */
  static String simpleDtoa(double d) {
    String s = formatG(d, 15);
    return Double.parseDouble(s) == d ? s : formatG(d, 17);
  }

  /** C's printf("%.{precision}g"), rounding the exact binary value half-even as glibc does. */
  private static String formatG(double d, int precision) {
    if (d == 0) {
      return 1 / d < 0 ? "-0" : "0";
    }
    String sign = d < 0 ? "-" : "";
    BigDecimal a = new BigDecimal(Math.abs(d)).round(new MathContext(precision, RoundingMode.HALF_EVEN));
    int exponent = a.precision() - a.scale() - 1;
    if (exponent >= -4 && exponent < precision) {
      return sign + a.stripTrailingZeros().toPlainString();
    }
    String digits = a.unscaledValue().toString().replaceFirst("0+$", "");
    String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
    int e = Math.abs(exponent);
    return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (e < 10 ? "0" : "") + e;
  }
}
