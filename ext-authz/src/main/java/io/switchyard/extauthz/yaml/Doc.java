package io.switchyard.extauthz.yaml;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchyard.serverkit.config.ConfigException;
import io.switchyard.serverkit.config.LocatedNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Typed, strict reading of one located YAML document: every accessor names the JSON pointer it read
 * so that errors come out as {@code file:line:column: reason} at the offending node.
 */
public final class Doc {
  private final LocatedNode located;

  public Doc(LocatedNode located) {
    this.located = located;
  }

  public String file() {
    return located.file() == null ? "<config>" : located.file().toString();
  }

  public int lineOf(String pointer) {
    return located.lineOf(pointer);
  }

  public ConfigException error(String pointer, String reason) {
    return located.error(pointer, reason);
  }

  public JsonNode at(String pointer) {
    return located.node().at(pointer.isEmpty() ? "" : pointer);
  }

  public boolean has(String pointer) {
    JsonNode n = at(pointer);
    return !n.isMissingNode() && !n.isNull();
  }

  /** Rejects any key of the object at {@code pointer} that is not in {@code allowed}. */
  public void onlyKeys(String pointer, String what, Set<String> allowed) throws ConfigException {
    JsonNode n = at(pointer);
    if (n.isMissingNode() || n.isNull()) {
      return;
    }
    if (!n.isObject()) {
      throw error(pointer, what + " must be a mapping");
    }
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!allowed.contains(k)) {
        throw error(pointer + "/" + escape(k), "unknown field '" + k + "' in " + what + " (allowed: " + String.join(", ", sorted(allowed)) + ")");
      }
    }
  }

  public String string(String pointer, String what, boolean required) throws ConfigException {
    JsonNode n = at(pointer);
    if (n.isMissingNode() || n.isNull()) {
      if (required) {
        throw error(parentOf(pointer), what + " is required");
      }
      return null;
    }
    if (!n.isValueNode() || n.isBinary()) {
      throw error(pointer, what + " must be a string");
    }
    return n.asText();
  }

  public boolean bool(String pointer, String what, boolean dflt) throws ConfigException {
    JsonNode n = at(pointer);
    if (n.isMissingNode() || n.isNull()) {
      return dflt;
    }
    if (n.isBoolean()) {
      return n.booleanValue();
    }
    if (n.isTextual() && (n.asText().equals("true") || n.asText().equals("false"))) {
      return Boolean.parseBoolean(n.asText());
    }
    throw error(pointer, what + " must be true or false");
  }

  /**
   * A list of scalar strings; numbers are accepted as their text since users write {@code ports: [8080]}.
   * Empty strings are rejected as Istio's validation does.
   */
  public List<String> strings(String pointer, String what) throws ConfigException {
    JsonNode n = at(pointer);
    List<String> out = new ArrayList<>();
    if (n.isMissingNode() || n.isNull()) {
      return out;
    }
    if (!n.isArray()) {
      throw error(pointer, what + " must be a list of strings");
    }
    for (int i = 0; i < n.size(); i++) {
      JsonNode e = n.get(i);
      if (!e.isValueNode() || e.isNull()) {
        throw error(pointer + "/" + i, what + " must be a list of strings");
      }
      String s = e.asText();
      if (s.isEmpty()) {
        throw error(pointer + "/" + i, "empty value in " + what);
      }
      out.add(s);
    }
    return out;
  }

  /** Number of elements of the list at {@code pointer} (0 when absent); fails when it is not a list. */
  public int listSize(String pointer, String what) throws ConfigException {
    JsonNode n = at(pointer);
    if (n.isMissingNode() || n.isNull()) {
      return 0;
    }
    if (!n.isArray()) {
      throw error(pointer, what + " must be a list");
    }
    return n.size();
  }

  public Map<String, String> stringMap(String pointer, String what) throws ConfigException {
    JsonNode n = at(pointer);
    Map<String, String> out = new LinkedHashMap<>();
    if (n.isMissingNode() || n.isNull()) {
      return out;
    }
    if (!n.isObject()) {
      throw error(pointer, what + " must be a mapping of strings");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isValueNode() || e.getValue().isNull()) {
        throw error(pointer + "/" + escape(e.getKey()), what + " values must be strings");
      }
      out.put(e.getKey(), e.getValue().asText());
    }
    return out;
  }

  public static String escape(String key) {
    return key.replace("~", "~0").replace("/", "~1");
  }

  private static String parentOf(String pointer) {
    int i = pointer.lastIndexOf('/');
    return i <= 0 ? "" : pointer.substring(0, i);
  }

  private static List<String> sorted(Set<String> s) {
    List<String> l = new ArrayList<>(s);
    l.sort(null);
    return l;
  }
}
