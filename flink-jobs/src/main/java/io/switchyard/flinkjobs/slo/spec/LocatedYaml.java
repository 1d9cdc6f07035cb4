package io.switchyard.flinkjobs.slo.spec;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.reader.ReaderException;

/**
 * Multi-document YAML read into Jackson trees that remember the line of every node, so semantic
 * errors found after parsing still point at file:line (Jackson's trees drop locations).
 */
final class LocatedYaml {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final YAMLFactory YAML = new YAMLFactory();

  /** One document: its tree, the line each JSON pointer starts on, and the document's first line. */
  record Doc(JsonNode node, Map<String, Integer> lines, String file) {
    int lineOf(String pointer) {
      String p = pointer;
      while (true) {
        Integer line = lines.get(p);
        if (line != null) {
          return line;
        }
        if (p.isEmpty()) {
          return 0;
        }
        p = p.substring(0, Math.max(0, p.lastIndexOf('/')));
      }
    }

    SloSpecException error(String pointer, String reason) {
      return new SloSpecException(file, lineOf(pointer), reason);
    }
  }

  private LocatedYaml() {}

  static List<Doc> read(String text, String file) throws SloSpecException {
    List<Doc> docs = new ArrayList<>();
    try (JsonParser p = YAML.createParser(text)) {
      try {
        while (p.nextToken() != null) {
          Map<String, Integer> lines = new HashMap<>();
          JsonNode node = value(p, "", lines);
          if (node != null && !node.isNull()) {
            docs.add(new Doc(node, lines, file));
          }
        }
      } catch (StreamConstraintsException e) {
        // A limit (nesting depth) carries no location; the parser stands where it was crossed.
        throw new SloSpecException(file, Math.max(0, p.currentLocation().getLineNr()),
            "not valid YAML: " + e.getOriginalMessage());
      }
    } catch (IOException e) {
      int line = 0;
      if (e instanceof com.fasterxml.jackson.core.JsonProcessingException jpe && jpe.getLocation() != null) {
        line = jpe.getLocation().getLineNr();
      }
      if (e.getCause() instanceof ReaderException re) {
        // SnakeYAML's reader (a control character, a lone surrogate) reports a code point offset, not a mark.
        throw new SloSpecException(file, lineOf(text, re.getPosition()), "not valid YAML: " + re.getMessage().strip()
            + " (U+" + String.format("%04X", re.getCodePoint()) + ")");
      }
      throw new SloSpecException(file, line, "not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
    }
    return docs;
  }

  private static JsonNode value(JsonParser p, String pointer, Map<String, Integer> lines) throws IOException {
    lines.putIfAbsent(pointer, p.currentTokenLocation().getLineNr());
    JsonToken t = p.currentToken();
    switch (t) {
      case START_OBJECT -> {
        ObjectNode o = NODES.objectNode();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String field = p.currentName();
          if (o.has(field)) {
            // YAML requires unique keys; the reader would keep the last value and hide the first.
            throw new JsonParseException(p, "duplicate key '" + field + "'", p.currentTokenLocation());
          }
          String child = pointer + "/" + field.replace("~", "~0").replace("/", "~1");
          lines.put(child, p.currentTokenLocation().getLineNr());
          p.nextToken();
          o.set(field, value(p, child, lines));
        }
        return o;
      }
      case START_ARRAY -> {
        ArrayNode a = NODES.arrayNode();
        int i = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
          a.add(value(p, pointer + "/" + i++, lines));
        }
        return a;
      }
      case VALUE_STRING -> {
        return NODES.textNode(p.getText());
      }
      case VALUE_NUMBER_INT -> {
        return NODES.numberNode(p.getLongValue());
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
      case VALUE_EMBEDDED_OBJECT -> throw new JsonParseException(p, "a !!binary value is not supported",
          p.currentTokenLocation());
      default -> throw new JsonParseException(p, "unexpected YAML token " + t, p.currentTokenLocation());
    }
  }

  /** The 1-based line of the code point at {@code position}, counting code points as SnakeYAML does. */
  private static int lineOf(String text, int position) {
    int line = 1;
    int i = 0;
    for (int cp = 0; cp < position && i < text.length(); cp++) {
      char c = text.charAt(i);
      i += Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))
          ? 2 : 1;
      if (c == '\n' || (c == '\r' && (i >= text.length() || text.charAt(i) != '\n'))) {
        line++;
      }
    }
    return line;
  }
}
