package io.switchyard.ratelimit.config;

import io.switchyard.serverkit.config.ConfigException;
import io.switchyard.serverkit.config.ConfigFiles;
import io.switchyard.serverkit.config.YamlPositions;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.events.DocumentStartEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeId;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.reader.ReaderException;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Reads one YAML document into a {@link YamlNode} tree with line and column of every node. Anchors, aliases and
 * {@code <<} merge keys resolve as the reference's yaml.v2 resolves them, so a folder that shares one
 * {@code rate_limit} block through {@code &anchor}/{@code *alias} loads unchanged. SnakeYAML's composer is used
 * rather than a streaming parser because only it resolves every alias, scalars included, to its anchored node.
 */
final class YamlReader {
  private YamlReader() {}

  /** Returns null for an empty file. */
  static YamlNode read(Path file) throws ConfigException {
    String text;
    try {
      text = ConfigFiles.readText(file);
    } catch (IOException e) {
      throw new ConfigException(file, 0, 0, "cannot read file: " + ConfigFiles.why(e));
    }
    return read(file, text);
  }

  static YamlNode read(Path file, String text) throws ConfigException {
    LoaderOptions options = new LoaderOptions();
    // SnakeYAML's default of 50 would refuse a folder that points 50 descriptors at one shared rate_limit block.
    options.setMaxAliasesForCollections(10_000);
    try {
      Iterator<Node> documents = new Yaml(options).composeAll(new StringReader(text)).iterator();
      if (!documents.hasNext()) {
        return null;
      }
      YamlNode root = new Converter(file).convert(documents.next());
      // Aliases share nodes, but the loader walks the config as a tree: a few nested aliases of aliases would make
      // it walk billions of nodes on the reload thread. yaml.v2 refuses such a document too ("excessive aliasing").
      if (expandedSize(root, new IdentityHashMap<>()) > MAX_EXPANDED_NODES) {
        throw new ConfigException(file, root.line(), root.column(), "the document's aliases expand it to more than "
            + MAX_EXPANDED_NODES + " nodes (excessive aliasing)");
      }
      // The reference's yaml.Unmarshal reads the first document and silently drops the others, whose limits would
      // then never apply: refuse instead. An empty document (a trailing "---") carries nothing, so it is let pass.
      while (documents.hasNext()) {
        Node extra = documents.next();
        boolean empty = extra instanceof ScalarNode s && (s.getTag().equals(Tag.NULL) || s.getValue().isEmpty());
        if (!empty) {
          int[] at = documentStart(text, extra.getStartMark());
          throw new ConfigException(file, at[0], at[1], "only one YAML document per file is supported, and a"
              + " second document starts here (envoyproxy/ratelimit would silently ignore it); put each domain in"
              + " its own file");
        }
      }
      return root;
    } catch (MarkedYAMLException e) {
      Mark at = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
      String reason = e.getProblem() != null ? e.getProblem() : e.getContext();
      throw new ConfigException(file, at == null ? 0 : at.getLine() + 1, at == null ? 0 : at.getColumn() + 1,
          "invalid YAML: " + (reason == null ? e.getClass().getSimpleName() : reason.strip()));
    } catch (ReaderException e) {
      // The reader (a control character, a lone surrogate) reports a code point offset, not a line.
      int[] at = YamlPositions.ofCodePoint(text, e.getPosition());
      throw new ConfigException(file, at[0], at[1], "invalid YAML: " + e.getMessage()
          .strip() + " (U+" + String.format("%04X", e.getCodePoint()) + ")");
    } catch (YAMLException e) {
      int[] at = e.getMessage() != null && e.getMessage().startsWith("Nesting Depth exceeded")
          ? YamlPositions.firstNestedDeeperThan(text, options.getNestingDepthLimit()) : new int[] {0, 0};
      throw new ConfigException(file, at[0], at[1], "invalid YAML: " + e.getMessage());
    }
  }

  /**
   * Line and column of the second document's "---". The composer does not report document boundaries, so the text
   * is read again as YAML events; this runs only on the error path.
   */
  private static int[] documentStart(String text, Mark content) {
    int[] at = {content.getLine() + 1, content.getColumn() + 1};
    int documents = 0;
    try {
      for (Event e : new Yaml().parse(new StringReader(text))) {
        if (e instanceof DocumentStartEvent && ++documents == 2) {
          return new int[] {e.getStartMark().getLine() + 1, e.getStartMark().getColumn() + 1};
        }
      }
    } catch (RuntimeException e) {
      // The composer read it; should the event parser alone not, the content's position is still right.
    }
    return at;
  }

  /** Nodes a document may expand to through its aliases: far beyond any real config, far below a hang. */
  static final long MAX_EXPANDED_NODES = 1_000_000;

  /** The number of nodes {@code n} stands for once every alias is expanded, counted once per shared node. */
  private static long expandedSize(YamlNode n, Map<YamlNode, Long> sizes) {
    Long known = sizes.get(n);
    if (known != null) {
      return known;
    }
    long size = 1;
    if (n instanceof YamlNode.MapNode m) {
      for (YamlNode v : m.entries().values()) {
        size = Math.min(Long.MAX_VALUE / 2, size + expandedSize(v, sizes));
      }
    } else if (n instanceof YamlNode.ListNode l) {
      for (YamlNode v : l.items()) {
        size = Math.min(Long.MAX_VALUE / 2, size + expandedSize(v, sizes));
      }
    }
    sizes.put(n, size);
    return size;
  }

  /** Turns one composed document into {@link YamlNode}s; an aliased node is converted once and shared. */
  private static final class Converter {
    private static final Resolver RESOLVER = new Resolver();
    private final Path file;
    private final Map<Node, YamlNode> done = new IdentityHashMap<>();
    private final Set<Node> inProgress = Collections.newSetFromMap(new IdentityHashMap<>());

    Converter(Path file) {
      this.file = file;
    }

    YamlNode convert(Node n) throws ConfigException {
      YamlNode known = done.get(n);
      if (known != null) {
        return known;
      }
      int line = n.getStartMark().getLine() + 1;
      int col = n.getStartMark().getColumn() + 1;
      if (!inProgress.add(n)) {
        throw new ConfigException(file, line, col, "an anchor's value contains an alias of itself");
      }
      YamlNode out;
      if (n instanceof MappingNode m) {
        out = map(m, line, col);
      } else if (n instanceof SequenceNode s) {
        List<YamlNode> items = new ArrayList<>(s.getValue().size());
        for (Node item : s.getValue()) {
          items.add(convert(item));
        }
        out = new YamlNode.ListNode(items, line, col);
      } else {
        out = scalar((ScalarNode) n, line, col);
      }
      inProgress.remove(n);
      done.put(n, out);
      return out;
    }

    private static YamlNode scalar(ScalarNode s, int line, int col) {
      Tag tag = s.getTag();
      // A plain scalar without a written tag is typed as the reference's yaml.v2 types it, not as SnakeYAML does.
      if (s.isPlain() && tag.equals(RESOLVER.resolve(NodeId.scalar, s.getValue(), true))) {
        String type = YamlV2Scalars.type(s.getValue());
        return new YamlNode.Scalar(type.equals("null") ? null : s.getValue(), type, line, col);
      }
      if (tag.equals(Tag.NULL)) {
        return new YamlNode.Scalar(null, "null", line, col);
      }
      String type = tag.equals(Tag.INT) ? "int" : tag.equals(Tag.FLOAT) ? "float" : tag.equals(Tag.BOOL) ? "bool"
          : "string";
      return new YamlNode.Scalar(s.getValue(), type, line, col);
    }

    /**
     * A mapping. A {@code <<} key merges a map (or a list of maps, earlier ones winning) into this one where it
     * stands, as yaml.v2 does: keys written after it override merged ones, and a merge overrides keys before it.
     * Only a key written twice in the same mapping is refused.
     */
    private YamlNode map(MappingNode m, int line, int col) throws ConfigException {
      Map<String, YamlNode> entries = new LinkedHashMap<>();
      Map<String, int[]> positions = new HashMap<>();
      Set<String> written = new HashSet<>();
      for (NodeTuple t : m.getValue()) {
        Node keyNode = t.getKeyNode();
        int[] keyAt = {keyNode.getStartMark().getLine() + 1, keyNode.getStartMark().getColumn() + 1};
        if (keyNode.getTag().equals(Tag.MERGE)) {
          YamlNode value = convert(t.getValueNode());
          List<YamlNode> sources = value instanceof YamlNode.ListNode l ? l.items() : List.of(value);
          for (int i = sources.size() - 1; i >= 0; i--) {
            if (!(sources.get(i) instanceof YamlNode.MapNode source)) {
              throw new ConfigException(file, keyAt[0], keyAt[1],
                  "map merge requires map or sequence of maps as the value");
            }
            for (Map.Entry<String, YamlNode> e : source.entries().entrySet()) {
              entries.remove(e.getKey());
              entries.put(e.getKey(), e.getValue());
              positions.put(e.getKey(), source.keyPositions().get(e.getKey()));
            }
          }
          continue;
        }
        if (!(keyNode instanceof ScalarNode k)) {
          throw new ConfigException(file, keyAt[0], keyAt[1], "config error, key is not of type string");
        }
        String name = k.getValue();
        if (!written.add(name)) {
          throw new ConfigException(file, keyAt[0], keyAt[1], "duplicate YAML key '" + name + "'");
        }
        YamlNode value = convert(t.getValueNode());
        entries.remove(name);
        entries.put(name, value);
        positions.put(name, keyAt);
      }
      return new YamlNode.MapNode(entries, positions, line, col);
    }
  }
}
