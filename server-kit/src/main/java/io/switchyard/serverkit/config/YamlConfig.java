package io.switchyard.serverkit.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * YAML config reading with errors that name file, line, column and reason. Unknown keys and duplicate
 * keys are errors: a misspelt key silently ignored is a config that does not do what its author thinks.
 */
public final class YamlConfig {
  // Duplicate keys are detected while building located trees (with the key's line), so the factory's
  // own strict detection stays off; the mapper, when used directly, still rejects them.
  private static final YAMLFactory FACTORY = YAMLFactory.builder().build();
  private static final ObjectMapper MAPPER = new ObjectMapper(FACTORY)
      .registerModule(new Jdk8Module())
      .registerModule(new JavaTimeModule())
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private YamlConfig() {}

  public static ObjectMapper mapper() {
    return MAPPER;
  }

  public static <T> T read(Path file, Class<T> type) throws ConfigException {
    List<T> all = readAll(file, type);
    if (all.size() != 1) {
      throw new ConfigException(file, 0, 0, "expected exactly one YAML document, found " + all.size());
    }
    return all.get(0);
  }

  /** Every document of a multi-document file, each bound to {@code type}; empty documents are skipped. */
  public static <T> List<T> readAll(Path file, Class<T> type) throws ConfigException {
    List<T> out = new ArrayList<>();
    for (LocatedNode doc : readLocatedTrees(file)) {
      out.add(convert(doc, type));
    }
    return out;
  }

  public static JsonNode readTree(Path file) throws ConfigException {
    List<JsonNode> all = readTrees(file);
    if (all.size() != 1) {
      throw new ConfigException(file, 0, 0, "expected exactly one YAML document, found " + all.size());
    }
    return all.get(0);
  }

  public static List<JsonNode> readTrees(Path file) throws ConfigException {
    return readLocatedTrees(file).stream().map(LocatedNode::node).collect(Collectors.toList());
  }

  /** Every non-empty document of the file with the position of each node. */
  public static List<LocatedNode> readLocatedTrees(Path file) throws ConfigException {
    String text;
    try {
      text = ConfigFiles.readText(file);
    } catch (NoSuchFileException | java.io.FileNotFoundException e) {
      throw new ConfigException(file, 0, 0, "file not found");
    } catch (IOException e) {
      throw new ConfigException(file, 0, 0, "cannot read: " + ConfigFiles.why(e), e);
    }
    try (JsonParser p = FACTORY.createParser(text)) {
      List<LocatedNode> docs = new ArrayList<>();
      try {
        while (p.nextToken() != null) {
          Map<String, int[]> positions = new HashMap<>();
          JsonNode node = build(file, p, JsonPointer.empty(), positions);
          if (!node.isNull() && !node.isMissingNode()) {
            docs.add(new LocatedNode(file, node, positions));
          }
        }
      } catch (StreamConstraintsException e) {
        // A limit (nesting depth) carries no location; the parser stands where it was crossed.
        JsonLocation at = p.currentLocation();
        throw new ConfigException(file, Math.max(0, at.getLineNr()), Math.max(0, at.getColumnNr()), reason(e), e);
      }
      return docs;
    } catch (NoSuchFileException | java.io.FileNotFoundException e) {
      throw new ConfigException(file, 0, 0, "file not found");
    } catch (JsonProcessingException e) {
      throw located(file, e);
    } catch (IOException e) {
      throw new ConfigException(file, 0, 0, "cannot read: " + ConfigFiles.why(e), e);
    }
  }

  /** Binds a located document to {@code type}, reporting binding errors at the offending node. */
  public static <T> T convert(LocatedNode doc, Class<T> type) throws ConfigException {
    try {
      return MAPPER.treeToValue(doc.node(), type);
    } catch (JsonMappingException e) {
      JsonPointer at = pointerOf(e.getPath());
      throw new ConfigException(doc.file(), doc.lineOf(at), doc.columnOf(at), reason(e), e);
    } catch (JsonProcessingException e) {
      throw located(doc.file(), e);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(doc.file(), 0, 0, e.getMessage(), e);
    }
  }

  private static JsonPointer pointerOf(List<JsonMappingException.Reference> path) {
    JsonPointer p = JsonPointer.empty();
    for (JsonMappingException.Reference r : path) {
      p = r.getFieldName() != null ? p.appendProperty(r.getFieldName()) : p.appendIndex(Math.max(0, r.getIndex()));
    }
    return p;
  }

  private static ConfigException located(Path file, JsonProcessingException e) {
    if (e.getCause() instanceof MarkedYAMLException m && m.getProblemMark() != null) {
      // A syntax error: the parser's own location is that of the last good token, and the message's first line is
      // SnakeYAML's context ("while scanning ..."); the problem and where it is are what the author needs.
      Mark at = m.getProblemMark();
      StringBuilder reason = new StringBuilder(m.getProblem() == null ? reason(e) : m.getProblem().strip());
      if (m.getContext() != null) {
        reason.append(" (").append(m.getContext().strip());
        Mark ctx = m.getContextMark();
        if (ctx != null && (ctx.getLine() != at.getLine() || ctx.getColumn() != at.getColumn())) {
          reason.append(" at line ").append(ctx.getLine() + 1).append(", column ").append(ctx.getColumn() + 1);
        }
        reason.append(')');
      }
      return new ConfigException(file, at.getLine() + 1, at.getColumn() + 1, reason.toString(), e);
    }
    JsonLocation loc = e.getLocation();
    int line = loc == null ? 0 : Math.max(0, loc.getLineNr());
    int col = loc == null ? 0 : Math.max(0, loc.getColumnNr());
    return new ConfigException(file, line, col, reason(e), e);
  }

  private static String reason(JsonProcessingException e) {
    if (e instanceof UnrecognizedPropertyException u) {
      return "unknown key '" + u.getPropertyName() + "'";
    }
    String m = e.getOriginalMessage();
    if (m == null) {
      return e.getClass().getSimpleName();
    }
    int cut = m.indexOf("\n");
    return (cut > 0 ? m.substring(0, cut) : m).strip();
  }

  private static JsonNode build(Path file, JsonParser p, JsonPointer at, Map<String, int[]> positions)
      throws IOException, ConfigException {
    JsonLocation loc = p.currentTokenLocation();
    positions.put(at.toString(), new int[] {loc.getLineNr(), loc.getColumnNr()});
    JsonToken t = p.currentToken();
    switch (t) {
      case START_OBJECT -> {
        ObjectNode o = NODES.objectNode();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String name = p.currentName();
          JsonLocation keyLoc = p.currentTokenLocation();
          if (o.has(name)) {
            throw new ConfigException(file, keyLoc.getLineNr(), keyLoc.getColumnNr(), "duplicate key '" + name + "'");
          }
          p.nextToken();
          JsonPointer child = at.appendProperty(name);
          o.set(name, build(file, p, child, positions));
          positions.put(child.toString(), new int[] {keyLoc.getLineNr(), keyLoc.getColumnNr()});
        }
        return o;
      }
      case START_ARRAY -> {
        ArrayNode a = NODES.arrayNode();
        int i = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
          a.add(build(file, p, at.appendIndex(i++), positions));
        }
        return a;
      }
      case VALUE_STRING -> {
        return NODES.textNode(p.getText());
      }
      case VALUE_NUMBER_INT -> {
        return switch (p.getNumberType()) {
          case INT -> NODES.numberNode(p.getIntValue());
          case LONG -> NODES.numberNode(p.getLongValue());
          default -> NODES.numberNode(p.getBigIntegerValue());
        };
      }
      case VALUE_NUMBER_FLOAT -> {
        return NODES.numberNode(p.getDoubleValue());
      }
      case VALUE_TRUE -> {
        return NODES.booleanNode(true);
      }
      case VALUE_FALSE -> {
        return NODES.booleanNode(false);
      }
      case VALUE_NULL -> {
        return NODES.nullNode();
      }
      default -> {
        return NODES.textNode(p.getText());
      }
    }
  }
}
