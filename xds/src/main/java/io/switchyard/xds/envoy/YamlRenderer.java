package io.switchyard.xds.envoy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Prints a node group's resources as YAML (proto → canonical JSON with Envoy's field names → YAML), the way
 * {@code switchyard xds render} shows them. Keys keep Envoy's snake_case names, so the output reads like Envoy docs.
 */
public final class YamlRenderer {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
      .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));
  private static final JsonFormat.Printer PRINTER = JsonFormat.printer()
      .usingTypeRegistry(EnvoyTypes.registry())
      .preservingProtoFieldNames();

  private YamlRenderer() {}

  public static String render(EnvoyResources r) {
    ObjectNode root = JSON.createObjectNode();
    root.put("node_group", r.nodeGroup());
    root.set("clusters", array(r.clusters()));
    root.set("endpoints", array(r.endpoints()));
    root.set("listeners", array(r.listeners()));
    root.set("routes", array(r.routes()));
    try {
      return YAML.writeValueAsString(root);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode json(Message m) {
    try {
      return JSON.readTree(PRINTER.print(m));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("resource holds a type the registry does not know: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ArrayNode array(List<? extends Message> messages) {
    ArrayNode a = JSON.createArrayNode();
    messages.forEach(m -> a.add(json(m)));
    return a;
  }
}
