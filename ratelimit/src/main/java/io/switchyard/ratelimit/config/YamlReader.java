package io.switchyard.ratelimit.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import io.switchyard.serverkit.config.ConfigException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.events.DocumentStartEvent;
import org.yaml.snakeyaml.events.Event;

/** Reads one YAML document into a {@link YamlNode} tree with line and column of every node. */
final class YamlReader {
  private static final YAMLFactory FACTORY = YAMLFactory.builder().build();

  private YamlReader() {}

  /** Returns null for an empty file. */
  static YamlNode read(Path file) throws ConfigException {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new ConfigException(file, 0, 0, "cannot read file: " + e.getMessage());
    }
    return read(file, text);
  }

  static YamlNode read(Path file, String text) throws ConfigException {
    try (JsonParser p = FACTORY.createParser(text)) {
      JsonToken first = p.nextToken();
      if (first == null) {
        return null;
      }
      YamlNode root = readValue(file, p);
      // The reference's yaml.Unmarshal reads the first document and silently drops the others, whose limits would
      // then never apply: refuse instead. An empty document (a trailing "---") carries nothing, so it is let pass.
      for (JsonToken extra = p.nextToken(); extra != null; extra = p.nextToken()) {
        boolean empty = extra == JsonToken.VALUE_NULL || (extra == JsonToken.VALUE_STRING && p.getText().isEmpty());
        if (!empty) {
          int[] at = documentStart(text, p.currentTokenLocation());
          throw new ConfigException(file, at[0], at[1], "only one YAML document per file is supported, and a"
              + " second document starts here (envoyproxy/ratelimit would silently ignore it); put each domain in"
              + " its own file");
        }
      }
      return root;
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      String reason = e.getOriginalMessage();
      throw new ConfigException(file, at == null ? 0 : at.getLineNr(), at == null ? 0 : at.getColumnNr(),
          "invalid YAML: " + (reason == null ? e.getClass().getSimpleName() : reason.strip()));
    } catch (IOException e) {
      throw new ConfigException(file, 0, 0, "cannot read file: " + e.getMessage());
    }
  }

  /**
   * Line and column of the start of the document holding {@code content}, its "---" when it has one. Jackson does
   * not report document boundaries, so the text is read again as YAML events; this runs only on the error path.
   */
  private static int[] documentStart(String text, JsonLocation content) {
    int[] at = {content.getLineNr(), content.getColumnNr()};
    int documents = 0;
    try {
      for (Event e : new Yaml().parse(new StringReader(text))) {
        if (e instanceof DocumentStartEvent && ++documents == 2) {
          return new int[] {e.getStartMark().getLine() + 1, e.getStartMark().getColumn() + 1};
        }
      }
    } catch (RuntimeException e) {
      // Jackson read it; should SnakeYAML alone not, the content's position is still right.
    }
    return at;
  }

  private static YamlNode readValue(Path file, JsonParser p) throws IOException, ConfigException {
    JsonLocation at = p.currentTokenLocation();
    int line = at.getLineNr();
    int col = at.getColumnNr();
    JsonToken t = p.currentToken();
    switch (t) {
      case START_OBJECT: {
        Map<String, YamlNode> entries = new LinkedHashMap<>();
        Map<String, int[]> positions = new HashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String name = p.currentName();
          JsonLocation keyAt = p.currentTokenLocation();
          if (entries.containsKey(name)) {
            throw new ConfigException(file, keyAt.getLineNr(), keyAt.getColumnNr(),
                "duplicate YAML key '" + name + "'");
          }
          p.nextToken();
          entries.put(name, readValue(file, p));
          positions.put(name, new int[] {keyAt.getLineNr(), keyAt.getColumnNr()});
        }
        return new YamlNode.MapNode(entries, positions, line, col);
      }
      case START_ARRAY: {
        List<YamlNode> items = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          items.add(readValue(file, p));
        }
        return new YamlNode.ListNode(items, line, col);
      }
      case VALUE_STRING:
        return new YamlNode.Scalar(p.getText(), "string", line, col);
      case VALUE_NUMBER_INT:
        return new YamlNode.Scalar(p.getText(), "int", line, col);
      case VALUE_NUMBER_FLOAT:
        return new YamlNode.Scalar(p.getText(), "float", line, col);
      case VALUE_TRUE:
      case VALUE_FALSE:
        return new YamlNode.Scalar(p.getText(), "bool", line, col);
      case VALUE_NULL:
        return new YamlNode.Scalar(null, "null", line, col);
      default:
        throw new ConfigException(file, line, col, "unsupported YAML construct " + t);
    }
  }
}
