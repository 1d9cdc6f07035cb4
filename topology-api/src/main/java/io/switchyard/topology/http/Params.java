package io.switchyard.topology.http;

import io.switchyard.topology.query.BadParameterException;
import io.switchyard.topology.query.TimeParams;
import java.net.URI;
import java.net.URLDecoder;
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
        String name = decode(eq < 0 ? pair : pair.substring(0, eq));
        String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
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

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new BadParameterException(s, "malformed percent-encoding");
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
