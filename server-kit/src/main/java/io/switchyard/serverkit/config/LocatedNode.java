package io.switchyard.serverkit.config;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Map;

/**
 * One YAML document as a Jackson tree together with the line and column of every node, so that
 * semantic validation (after parsing) can still report {@code file:line:column}.
 */
public final class LocatedNode {
  private final Path file;
  private final JsonNode node;
  private final Map<String, int[]> positions;

  LocatedNode(Path file, JsonNode node, Map<String, int[]> positions) {
    this.file = file;
    this.node = node;
    this.positions = positions;
  }

  public Path file() {
    return file;
  }

  public JsonNode node() {
    return node;
  }

  /** The line of the node at {@code pointer}, or of its nearest ancestor that has one; 0 if none. */
  public int lineOf(JsonPointer pointer) {
    return position(pointer)[0];
  }

  public int columnOf(JsonPointer pointer) {
    return position(pointer)[1];
  }

  public int lineOf(String pointer) {
    return lineOf(JsonPointer.compile(pointer));
  }

  /** A ConfigException located at the node {@code pointer} (e.g. "/descriptors/0/rate_limit/unit"). */
  public ConfigException error(String pointer, String reason) {
    JsonPointer p = JsonPointer.compile(pointer);
    int[] pos = position(p);
    return new ConfigException(file, pos[0], pos[1], reason);
  }

  private int[] position(JsonPointer pointer) {
    JsonPointer p = pointer;
    while (p != null) {
      int[] pos = positions.get(p.toString());
      if (pos != null) {
        return pos;
      }
      p = p.head();
    }
    return new int[] {0, 0};
  }
}
