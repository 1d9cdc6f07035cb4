package io.switchyard.topology.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Set;

/**
 * Who may call the API: bearer tokens (any line of the tokens file; blank lines and {@code #} comments are
 * ignored; no file means no authentication) and which browser origins may read responses (CORS).
 */
public record AccessPolicy(List<byte[]> tokens, Set<String> corsOrigins) {

  public static final AccessPolicy OPEN = new AccessPolicy(List.of(), Set.of());

  public AccessPolicy {
    tokens = List.copyOf(tokens);
    corsOrigins = Set.copyOf(corsOrigins);
  }

  /** Reads the tokens file; a file without any token is refused, as it would lock everyone out. */
  public static List<byte[]> readTokens(Path file) throws IOException {
    List<byte[]> tokens = Files.readAllLines(file, StandardCharsets.UTF_8).stream()
        .map(String::strip)
        .filter(l -> !l.isEmpty() && !l.startsWith("#"))
        .map(l -> l.getBytes(StandardCharsets.UTF_8))
        .toList();
    if (tokens.isEmpty()) {
      throw new IOException(file + ": no token in the tokens file");
    }
    return tokens;
  }

  boolean authRequired() {
    return !tokens.isEmpty();
  }

  boolean accepts(String authorizationHeader) {
    if (tokens.isEmpty()) {
      return true;
    }
    if (authorizationHeader == null || !authorizationHeader.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    byte[] given = authorizationHeader.substring(7).strip().getBytes(StandardCharsets.UTF_8);
    boolean ok = false;
    for (byte[] t : tokens) {
      // No early exit: the time taken does not tell which token came close.
      ok |= MessageDigest.isEqual(given, t);
    }
    return ok;
  }

  /** The value for Access-Control-Allow-Origin, or null when the origin is not allowed. */
  String allowedOrigin(String origin) {
    if (origin == null || corsOrigins.isEmpty()) {
      return null;
    }
    if (corsOrigins.contains("*")) {
      return "*";
    }
    return corsOrigins.contains(origin) ? origin : null;
  }
}
