package io.switchyard.ingest.receiver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.switchyard.ingest.mapping.Hex;
import java.io.IOException;
import java.util.Base64;

/**
 * OTLP/JSON: protobuf JSON mapping except that trace and span ids are hex strings, not base64. The ids are
 * rewritten to base64 in the tree before protobuf's parser sees it; unknown fields are ignored as the OTLP
 * specification requires.
 */
final class OtlpJson {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();
  private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();

  private OtlpJson() {}

  /** Thrown for a body that is not OTLP JSON; the message names the offending field. */
  static final class BadJson extends Exception {
    private static final long serialVersionUID = 1L;

    BadJson(String message) {
      super(message);
    }
  }

  static void parseTraces(byte[] body, Message.Builder into) throws BadJson {
    parse(body, into, "resourceSpans", "scopeSpans", "spans");
  }

  static void parseLogs(byte[] body, Message.Builder into) throws BadJson {
    parse(body, into, "resourceLogs", "scopeLogs", "logRecords");
  }

  static String print(Message message) throws InvalidProtocolBufferException {
    return PRINTER.print(message);
  }

  private static void parse(byte[] body, Message.Builder into, String resources, String scopes, String items)
      throws BadJson {
    JsonNode root;
    try {
      root = MAPPER.readTree(body);
    } catch (IOException e) {
      throw new BadJson("body is not valid JSON: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw new BadJson("body must be a JSON object");
    }
    boolean spans = items.equals("spans");
    JsonNode rs = field(root, resources);
    if (rs != null && rs.isArray()) {
      for (int r = 0; r < rs.size(); r++) {
        JsonNode ss = field(rs.get(r), scopes);
        if (ss == null || !ss.isArray()) {
          continue;
        }
        for (int s = 0; s < ss.size(); s++) {
          JsonNode list = field(ss.get(s), items);
          if (list == null || !list.isArray()) {
            continue;
          }
          for (int i = 0; i < list.size(); i++) {
            String path = resources + "[" + r + "]." + scopes + "[" + s + "]." + items + "[" + i + "]";
            JsonNode item = list.get(i);
            hexToBase64(item, path, "traceId", "trace_id");
            hexToBase64(item, path, "spanId", "span_id");
            hexToBase64(item, path, "parentSpanId", "parent_span_id");
            // The parser, told to ignore unknown fields, also reads an enum name it does not know as the enum's 0
            // (a span of unspecified kind, answered 200); the Collector's reader refuses it, and so does this one.
            if (spans) {
              enumName(item, path, "kind", Span.SpanKind.getDescriptor());
              enumName(field(item, "status"), path + ".status", "code", Status.StatusCode.getDescriptor());
            } else {
              enumName(item, path, "severityNumber", SeverityNumber.getDescriptor());
            }
            JsonNode links = field(item, "links");
            if (links != null && links.isArray()) {
              for (int l = 0; l < links.size(); l++) {
                hexToBase64(links.get(l), path + ".links[" + l + "]", "traceId", "trace_id");
                hexToBase64(links.get(l), path + ".links[" + l + "]", "spanId", "span_id");
              }
            }
          }
        }
      }
    }
    try {
      PARSER.merge(MAPPER.writeValueAsString(root), into);
    } catch (IOException e) {
      throw new BadJson("body is not an OTLP JSON message: " + e.getMessage());
    }
  }

  private static JsonNode field(JsonNode node, String camel) {
    if (node == null || !node.isObject()) {
      return null;
    }
    JsonNode v = node.get(camel);
    return v != null ? v : node.get(snake(camel));
  }

  private static void hexToBase64(JsonNode node, String path, String camel, String snake) throws BadJson {
    if (node == null || !node.isObject()) {
      return;
    }
    ObjectNode obj = (ObjectNode) node;
    String key = obj.has(camel) ? camel : obj.has(snake) ? snake : null;
    if (key == null) {
      return;
    }
    JsonNode v = obj.get(key);
    if (v.isNull()) {
      // proto3 JSON: null means the field's default (here: no id); protobuf's parser takes it as such.
      return;
    }
    if (!v.isTextual()) {
      throw new BadJson(path + "." + camel + " must be a hex string");
    }
    byte[] bytes = Hex.decode(v.asText());
    if (bytes == null) {
      throw new BadJson(path + "." + camel + " must be a hex string, got '" + v.asText() + "'");
    }
    obj.put(key, Base64.getEncoder().encodeToString(bytes));
  }

  /** A string where an enum goes must be one of its names (numbers, known or not, protobuf's parser takes). */
  private static void enumName(JsonNode node, String path, String camel, EnumDescriptor type) throws BadJson {
    JsonNode v = field(node, camel);
    if (v == null || !v.isTextual() || type.findValueByName(v.asText()) != null) {
      return;
    }
    StringBuilder names = new StringBuilder();
    type.getValues().forEach(e -> names.append(names.length() == 0 ? "" : ", ").append(e.getName()));
    throw new BadJson(path + "." + camel + ": '" + v.asText() + "' is not a " + type.getName() + " (one of " + names
        + ", or its number)");
  }

  private static String snake(String camel) {
    StringBuilder sb = new StringBuilder();
    for (char c : camel.toCharArray()) {
      if (Character.isUpperCase(c)) {
        sb.append('_').append(Character.toLowerCase(c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

}
