package io.switchyard.ratelimit.config;

import java.util.List;
import java.util.Map;

/**
 * A YAML value that remembers where it was written, so semantic errors can name file:line. Jackson's
 * trees drop locations, hence this small tree of our own.
 */
sealed interface YamlNode permits YamlNode.MapNode, YamlNode.ListNode, YamlNode.Scalar {
  int line();

  int column();

  String kind();

  /** A mapping in declaration order; {@code keyLines} gives where each key was written. */
  record MapNode(Map<String, YamlNode> entries, Map<String, int[]> keyPositions, int line, int column)
      implements YamlNode {
    @Override
    public String kind() {
      return "map";
    }
  }

  record ListNode(List<YamlNode> items, int line, int column) implements YamlNode {
    @Override
    public String kind() {
      return "list";
    }
  }

  /** A scalar: {@code text} is null for YAML null; {@code type} is string, int, float, bool or null. */
  record Scalar(String text, String type, int line, int column) implements YamlNode {
    @Override
    public String kind() {
      return type;
    }
  }
}
