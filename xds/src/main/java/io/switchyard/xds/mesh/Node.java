package io.switchyard.xds.mesh;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * A YAML node that remembers its line, so semantic checks (not only syntax errors) can say where the problem is.
 * Mapping readers reject keys nobody asked for: a misspelt option must not be silently ignored.
 */
final class Node {
  private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");

  private final Path file;
  private final org.yaml.snakeyaml.nodes.Node yaml;
  private final String path;

  Node(Path file, org.yaml.snakeyaml.nodes.Node yaml, String path) {
    this.file = file;
    this.yaml = yaml;
    this.path = path;
  }

  int line() {
    return yaml.getStartMark().getLine() + 1;
  }

  int column() {
    return yaml.getStartMark().getColumn() + 1;
  }

  String path() {
    return path;
  }

  MeshFileException error(String reason) {
    return new MeshFileException(file, line(), column(), path + ": " + reason);
  }

  boolean isNull() {
    return yaml instanceof ScalarNode s && s.getTag().getValue().endsWith(":null");
  }

  boolean isMapping() {
    return yaml instanceof MappingNode;
  }

  /** Reads a mapping; {@link Mapping#done()} fails on keys that were never read. */
  Mapping mapping() throws MeshFileException {
    if (!(yaml instanceof MappingNode m)) {
      throw error("expected a mapping");
    }
    Map<String, Node> entries = new LinkedHashMap<>();
    for (NodeTuple t : m.getValue()) {
      if (!(t.getKeyNode() instanceof ScalarNode key)) {
        throw new Node(file, t.getKeyNode(), path).error("keys must be plain strings");
      }
      Node value = new Node(file, t.getValueNode(), child(key.getValue()));
      if (entries.put(key.getValue(), value) != null) {
        throw new Node(file, key, path).error("duplicate key '" + key.getValue() + "'");
      }
    }
    return new Mapping(entries);
  }

  List<Node> list() throws MeshFileException {
    if (isNull()) {
      return List.of();
    }
    if (!(yaml instanceof SequenceNode s)) {
      throw error("expected a list");
    }
    List<Node> out = new ArrayList<>();
    for (int i = 0; i < s.getValue().size(); i++) {
      out.add(new Node(file, s.getValue().get(i), path + "[" + i + "]"));
    }
    return out;
  }

  String string() throws MeshFileException {
    if (!(yaml instanceof ScalarNode s) || isNull()) {
      throw error("expected a string");
    }
    return s.getValue();
  }

  String nonEmptyString() throws MeshFileException {
    String s = string();
    if (s.isBlank()) {
      throw error("must not be empty");
    }
    return s;
  }

  int integer(int min, int max) throws MeshFileException {
    String s = string();
    try {
      int v = Integer.parseInt(s.trim());
      if (v < min || v > max) {
        throw error("must be between " + min + " and " + max + ", got " + v);
      }
      return v;
    } catch (NumberFormatException e) {
      throw error("expected an integer, got '" + s + "'");
    }
  }

  double percent() throws MeshFileException {
    String s = string();
    try {
      double v = Double.parseDouble(s.trim());
      if (v < 0 || v > 100 || Double.isNaN(v)) {
        throw error("must be a percentage between 0 and 100, got " + s);
      }
      return v;
    } catch (NumberFormatException e) {
      throw error("expected a percentage, got '" + s + "'");
    }
  }

  boolean bool() throws MeshFileException {
    String s = string();
    return switch (s) {
      case "true" -> true;
      case "false" -> false;
      default -> throw error("expected true or false, got '" + s + "'");
    };
  }

  /** Durations as Envoy users write them: {@code 250ms}, {@code 2s}, {@code 1.5s}, {@code 1m}, {@code 1h}. */
  Duration duration() throws MeshFileException {
    String s = string().trim();
    Matcher m = DURATION.matcher(s);
    if (!m.matches()) {
      throw error("expected a duration like 250ms, 2s or 1m, got '" + s + "'");
    }
    double amount = Double.parseDouble(m.group(1));
    double millis = switch (m.group(2)) {
      case "ms" -> amount;
      case "s" -> amount * 1_000;
      case "m" -> amount * 60_000;
      default -> amount * 3_600_000;
    };
    return Duration.ofMillis(Math.round(millis));
  }

  Map<String, String> stringMap() throws MeshFileException {
    if (isNull()) {
      return Map.of();
    }
    Mapping m = mapping();
    Map<String, String> out = new LinkedHashMap<>();
    for (String key : m.keys()) {
      out.put(key, m.required(key).string());
    }
    m.done();
    return out;
  }

  List<String> stringList() throws MeshFileException {
    List<String> out = new ArrayList<>();
    for (Node n : list()) {
      out.add(n.nonEmptyString());
    }
    return out;
  }

  private String child(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  final class Mapping {
    private final Map<String, Node> entries;
    private final Set<String> read = new LinkedHashSet<>();

    private Mapping(Map<String, Node> entries) {
      this.entries = entries;
    }

    Node node() {
      return Node.this;
    }

    Set<String> keys() {
      read.addAll(entries.keySet());
      return entries.keySet();
    }

    boolean has(String key) {
      Node n = entries.get(key);
      return n != null && !n.isNull();
    }

    Node optional(String key) {
      read.add(key);
      Node n = entries.get(key);
      return n == null || n.isNull() ? null : n;
    }

    Node required(String key) throws MeshFileException {
      Node n = optional(key);
      if (n == null) {
        throw error("missing required field '" + key + "'");
      }
      return n;
    }

    String string(String key, String fallback) throws MeshFileException {
      Node n = optional(key);
      return n == null ? fallback : n.nonEmptyString();
    }

    boolean bool(String key, boolean fallback) throws MeshFileException {
      Node n = optional(key);
      return n == null ? fallback : n.bool();
    }

    Duration duration(String key, Duration fallback) throws MeshFileException {
      Node n = optional(key);
      return n == null ? fallback : n.duration();
    }

    int integer(String key, int fallback, int min, int max) throws MeshFileException {
      Node n = optional(key);
      return n == null ? fallback : n.integer(min, max);
    }

    /** Exactly one of the keys must be present; returns it. */
    String oneOf(String... keys) throws MeshFileException {
      String found = null;
      for (String k : keys) {
        if (has(k)) {
          if (found != null) {
            throw error("set only one of " + String.join(", ", keys) + " (both '" + found + "' and '" + k + "' given)");
          }
          found = k;
        }
      }
      if (found == null) {
        throw error("set one of " + String.join(", ", keys));
      }
      return found;
    }

    void done() throws MeshFileException {
      for (Map.Entry<String, Node> e : entries.entrySet()) {
        if (!read.contains(e.getKey())) {
          throw e.getValue().error("unknown field '" + e.getKey() + "'");
        }
      }
    }
  }
}
