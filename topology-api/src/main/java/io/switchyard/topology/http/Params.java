package io.switchyard.topology.http;

import io.switchyard.topology.query.BadParameterException;
import io.switchyard.topology.query.TimeParams;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** Query-string parameters of one request, checked against the names the endpoint knows. */
final class Params {
  private final Map<String, String> values;

  private Params(Map<String, String> values) {
    this.values = values;
  }

  static Params of(URI uri, Set<String> known) {
    Map<String, String> values = new HashMap<>();
    String raw = uri.getRawQuery();
    if (raw != null && !raw.isEmpty()) {
      for (String pair : raw.split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String name = decode(eq < 0 ? pair : pair.substring(0, eq), true, "query string");
        String value = eq < 0 ? "" : decode(pair.substring(eq + 1), true, name);
        if (!known.contains(name)) {
          throw new BadParameterException(name, "unknown parameter; this endpoint takes "
              + (known.isEmpty() ? "no parameters" : String.join(", ", known.stream().sorted().toList())));
        }
        if (values.putIfAbsent(name, value) != null) {
          throw new BadParameterException(name, "given more than once");
        }
      }
    }
    return new Params(values);
  }

  /**
   * Percent-decodes {@code raw} to strict UTF-8 ({@code +} is a space in a query string, itself in a path). Bytes that
   * are not UTF-8 are refused rather than read as replacement characters: a service named "\uFFFD(" matches nothing
   * and would read as "no traffic".
   */
  static String decode(String raw, boolean plusIsSpace, String parameter) {
    if (raw.indexOf('%') < 0) {
      return plusIsSpace ? raw.replace('+', ' ') : raw;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
    int plain = 0;
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c != '%' && !(plusIsSpace && c == '+')) {
        continue;
      }
      bytes.writeBytes(raw.substring(plain, i).getBytes(StandardCharsets.UTF_8));
      if (c == '+') {
        bytes.write(' ');
        plain = i + 1;
        continue;
      }
      int hi = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
      int lo = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 2), 16) : -1;
      if (hi < 0 || lo < 0) {
        throw new BadParameterException(parameter, "malformed percent-encoding (a % takes two hex digits) in '" + raw + "'");
      }
      bytes.write(hi << 4 | lo);
      i += 2;
      plain = i + 1;
    }
    bytes.writeBytes(raw.substring(plain).getBytes(StandardCharsets.UTF_8));
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      throw new BadParameterException(parameter, "percent-encoded bytes are not UTF-8 in '" + raw + "'");
    }
  }

  String get(String name) {
    String v = values.get(name);
    return v == null || v.isBlank() ? null : v;
  }

  long instant(String name, String fallback, long nowMs) {
    String v = get(name);
    return TimeParams.instant(name, v == null ? fallback : v, nowMs);
  }

  Integer intParam(String name, int min, int max) {
    String v = get(name);
    if (v == null) {
      return null;
    }
    try {
      int i = Integer.parseInt(v.trim());
      if (i < min || i > max) {
        throw new BadParameterException(name, "must be between " + min + " and " + max + ", got " + i);
      }
      return i;
    } catch (NumberFormatException e) {
      if (v.trim().matches("[-+]?\\d+")) {
        throw new BadParameterException(name, "must be between " + min + " and " + max + ", got " + v.trim());
      }
      throw new BadParameterException(name, "expected an integer, got '" + v + "'");
    }
  }

  Long durationMillis(String name) {
    String v = get(name);
    return v == null ? null : TimeParams.durationMillis(name, v);
  }
}
