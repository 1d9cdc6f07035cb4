package io.switchyard.ratelimit.config;

import java.math.BigInteger;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * How the reference's yaml.v2 (resolve.go {@code resolve}) types a plain scalar. SnakeYAML's YAML 1.1 resolver
 * differs where it matters for a config: yaml.v2 drops every '_' and parses the rest with Go's
 * {@code strconv.ParseInt(s, 0, 64)}, so {@code 0o17} and {@code 017} are 15, {@code 0x10} is 16 and {@code 1_000}
 * is 1000; {@code 08} is a float; {@code 1:30} is text (no base 60); {@code y} and {@code n} are booleans.
 */
final class YamlV2Scalars {
  private YamlV2Scalars() {}

  private static final Set<String> BOOLS = Set.of("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On",
      "ON", "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF");
  private static final Set<String> NULLS = Set.of("", "~", "null", "Null", "NULL");
  private static final Set<String> SPECIAL_FLOATS = Set.of(".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf",
      "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF");
  /** resolve.go yamlStyleFloat. */
  private static final Pattern FLOAT = Pattern.compile("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  /** What Go's ParseFloat accepts of a scalar starting with '.', which yaml.v2 hands it unchanged. */
  private static final Pattern DOT_FLOAT = Pattern.compile("\\.[0-9]+([eE][-+]?[0-9]+)?");
  private static final BigInteger MAX_UINT64 = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
  private static final BigInteger MIN_INT64 = BigInteger.valueOf(Long.MIN_VALUE);
  private static final BigInteger MAX_INT64 = BigInteger.valueOf(Long.MAX_VALUE);

  /** {@code null}, {@code bool}, {@code int}, {@code float} or {@code string}, as yaml.v2 resolves {@code text}. */
  static String type(String text) {
    if (NULLS.contains(text)) {
      return "null";
    }
    char first = text.charAt(0);
    boolean sign = first == '+' || first == '-';
    boolean digit = first >= '0' && first <= '9';
    if ("yYnNtTfFoO~".indexOf(first) >= 0) {
      return BOOLS.contains(text) ? "bool" : "string";
    }
    if (first == '.' || sign) {
      if (SPECIAL_FLOATS.contains(text)) {
        return "float";
      }
    }
    if (first == '.') {
      return DOT_FLOAT.matcher(text).matches() && Double.isFinite(Double.parseDouble(text)) ? "float" : "string";
    }
    if (!sign && !digit) {
      return "string";
    }
    Number n = number(text);
    return n == null ? "string" : n instanceof Double ? "float" : "int";
  }

  /**
   * The number yaml.v2 reads from a plain scalar that {@link #type} calls {@code int} or {@code float}: a
   * {@link BigInteger} for an integer (from -2^63 to 2^64-1), a {@link Double} for a float; null otherwise.
   */
  static Number number(String text) {
    if (SPECIAL_FLOATS.contains(text)) {
      return text.endsWith("nan") || text.endsWith("NaN") || text.endsWith("NAN") ? Double.NaN
          : text.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }
    if (text.startsWith(".")) {
      return DOT_FLOAT.matcher(text).matches() && Double.isFinite(Double.parseDouble(text))
          ? Double.parseDouble(text) : null;
    }
    String plain = text.replace("_", "");
    BigInteger i = parseInt(plain, 0);
    if (i == null) {
      i = parseUint(plain, 0);
    }
    if (i != null) {
      return i;
    }
    if (FLOAT.matcher(plain).matches()) {
      double d = Double.parseDouble(plain);
      if (Double.isFinite(d)) {
        return d;
      }
    }
    if (plain.startsWith("0b")) {
      i = parseInt(plain.substring(2), 2);
      return i != null ? i : parseUint(plain.substring(2), 2);
    }
    if (plain.startsWith("-0b")) {
      return parseInt("-" + plain.substring(3), 2);
    }
    return null;
  }

  /** Go's {@code strconv.ParseInt(s, base, 64)}; null where it returns an error. */
  private static BigInteger parseInt(String s, int base) {
    boolean negative = false;
    if (!s.isEmpty() && (s.charAt(0) == '+' || s.charAt(0) == '-')) {
      negative = s.charAt(0) == '-';
      s = s.substring(1);
    }
    BigInteger u = parseUint(s, base);
    if (u == null) {
      return null;
    }
    BigInteger v = negative ? u.negate() : u;
    return v.compareTo(MIN_INT64) < 0 || v.compareTo(MAX_INT64) > 0 ? null : v;
  }

  /** Go's {@code strconv.ParseUint(s, base, 64)} for input without '_'; base 0 reads the 0b/0o/0x/0 prefixes. */
  private static BigInteger parseUint(String s, int base) {
    if (s.isEmpty()) {
      return null;
    }
    if (base == 0) {
      base = 10;
      if (s.charAt(0) == '0') {
        char p = s.length() >= 3 ? Character.toLowerCase(s.charAt(1)) : 0;
        base = p == 'b' ? 2 : p == 'o' ? 8 : p == 'x' ? 16 : 8;
        s = s.substring(p == 'b' || p == 'o' || p == 'x' ? 2 : 1);
      }
    }
    BigInteger n = BigInteger.ZERO;
    BigInteger b = BigInteger.valueOf(base);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'z' ? c - 'a' + 10 : c >= 'A' && c <= 'Z'
          ? c - 'A' + 10 : 99;
      if (d >= base) {
        return null;
      }
      n = n.multiply(b).add(BigInteger.valueOf(d));
    }
    return n.compareTo(MAX_UINT64) > 0 ? null : n;
  }
}
