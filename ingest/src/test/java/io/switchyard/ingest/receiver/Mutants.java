package io.switchyard.ingest.receiver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Random;

/**
 * Deterministic mutations of valid OTLP request bodies for the receivers' mutation tests: JSON texts with keys
 * dropped, duplicated or added, values of the wrong type or size, ids of the wrong length, base64 that is not,
 * deep nesting and truncation; protobuf bytes flipped, inserted, deleted, duplicated and truncated.
 */
final class Mutants {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String RAW = "@@raw";
  private static final String DUP = "@@dup";
  private static final String[] KEYS = {"traceId", "spanId", "parentSpanId", "trace_id", "span_id", "name", "kind",
      "startTimeUnixNano", "endTimeUnixNano", "timeUnixNano", "attributes", "resource", "scopeSpans", "scopeLogs",
      "spans", "logRecords", "resourceSpans", "resourceLogs", "links", "events", "status", "body", "value", "key",
      "stringValue", "intValue", "bytesValue", "arrayValue", "kvlistValue", "severityNumber", "flags", "droppedAttributesCount"};

  private Mutants() {}

  /** A JSON value as text, of any type, size or validity that a client might send (or get wrong). */
  static String oddJsonValue(Random random) {
    return switch (random.nextInt(30)) {
      case 0 -> "null";
      case 1 -> "true";
      case 2 -> "-1";
      case 3 -> "1e400";
      case 4 -> "123456789012345678901234567890123456789";
      case 5 -> "\"\"";
      case 6 -> "\"" + hex(random, random.nextInt(40)) + "\"";
      case 7 -> "\"ZZZZ-not-hex\"";
      case 8 -> "\"" + "a".repeat(100_000) + "\"";
      case 9 -> "[]";
      case 10 -> "{}";
      case 11 -> "[".repeat(2000 + random.nextInt(4000)) + "]".repeat(0);
      case 12 -> "{\"a\":".repeat(1500) + "1" + "}".repeat(1500);
      case 13 -> "\"\\ud800\"";
      case 14 -> "\"\\u0000\u00e9\u200b\ud83d\ude00\"";
      case 15 -> "-9223372036854775809";
      case 16 -> "\"18446744073709551616\"";
      case 17 -> "\"NaN\"";
      case 18 -> "\"-1\"";
      case 19 -> "1.5";
      case 20 -> "{\"bytesValue\":\"!!not base64!!\"}";
      case 21 -> "{\"bytesValue\":\"QUJD=\"}";
      case 22 -> "{\"stringValue\":{\"x\":1}}";
      case 23 -> "{\"intValue\":\"1e3\"}";
      case 24 -> "[" + "{\"key\":\"k\",\"value\":{\"arrayValue\":{\"values\":[".repeat(60) + "]}}}".repeat(60) + "]";
      case 25 -> "\"SPAN_KIND_NOPE\"";
      case 26 -> "99999999999";
      case 27 -> "[1,\"a\",null,{}]";
      case 28 -> "{\"kvlistValue\":{\"values\":[{\"key\":null}]}}";
      default -> "\"" + "0".repeat(random.nextInt(3) * 16 + 1) + "\"";
    };
  }

  private static String hex(Random random, int n) {
    StringBuilder sb = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      sb.append("0123456789abcdefABCDEF".charAt(random.nextInt(22)));
    }
    return sb.toString();
  }

  /** One to three mutations of the JSON text {@code seed}. */
  static byte[] json(String seed, Random random) throws Exception {
    JsonNode root = MAPPER.readTree(seed);
    List<String> raws = new ArrayList<>();
    List<String> dups = new ArrayList<>();
    int n = 1 + random.nextInt(3);
    for (int m = 0; m < n; m++) {
      List<JsonNode> containers = new ArrayList<>();
      collect(root, containers);
      JsonNode target = containers.get(random.nextInt(containers.size()));
      if (target instanceof ObjectNode obj && obj.size() > 0) {
        List<String> names = new ArrayList<>();
        obj.fieldNames().forEachRemaining(names::add);
        String name = names.get(random.nextInt(names.size()));
        switch (random.nextInt(4)) {
          case 0 -> obj.remove(name);
          case 1 -> {
            obj.put(name, RAW + raws.size());
            raws.add(oddJsonValue(random));
          }
          case 2 -> {
            // The same key twice: the second with an odd value (renamed in the text, which a tree cannot hold).
            obj.put(DUP + dups.size(), RAW + raws.size());
            raws.add(oddJsonValue(random));
            dups.add(name);
          }
          default -> {
            obj.put(DUP + dups.size(), RAW + raws.size());
            raws.add(oddJsonValue(random));
            dups.add(KEYS[random.nextInt(KEYS.length)]);
          }
        }
      } else if (target instanceof ArrayNode arr) {
        if (arr.size() > 0 && random.nextBoolean()) {
          arr.remove(random.nextInt(arr.size()));
        } else {
          arr.add(RAW + raws.size());
          raws.add(oddJsonValue(random));
        }
      }
    }
    String text = MAPPER.writeValueAsString(root);
    for (int i = dups.size() - 1; i >= 0; i--) {
      text = text.replace("\"" + DUP + i + "\"", MAPPER.writeValueAsString(dups.get(i)));
    }
    for (int i = raws.size() - 1; i >= 0; i--) {
      text = text.replace("\"" + RAW + i + "\"", raws.get(i));
    }
    if (random.nextInt(8) == 0) {
      text = text.substring(0, random.nextInt(Math.max(1, text.length())));
    }
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    if (random.nextInt(10) == 0 && b.length > 0) {
      b[random.nextInt(b.length)] = (byte) random.nextInt(256);
    }
    return b;
  }

  private static void collect(JsonNode node, List<JsonNode> out) {
    if (node.isContainerNode()) {
      out.add(node);
      Iterator<JsonNode> it = node.elements();
      while (it.hasNext()) {
        collect(it.next(), out);
      }
    }
  }

  /** One to four mutations of the protobuf bytes {@code seed}. */
  static byte[] protobuf(byte[] seed, Random random) {
    byte[] b = seed.clone();
    int n = 1 + random.nextInt(4);
    for (int m = 0; m < n && b.length > 0; m++) {
      int at = random.nextInt(b.length);
      switch (random.nextInt(7)) {
        case 0 -> b[at] ^= (byte) (1 << random.nextInt(8));
        case 1 -> b[at] = (byte) random.nextInt(256);
        case 2 -> {
          byte[] insert = new byte[1 + random.nextInt(8)];
          random.nextBytes(insert);
          b = splice(b, at, 0, insert);
        }
        case 3 -> b = splice(b, at, Math.min(b.length - at, 1 + random.nextInt(8)), new byte[0]);
        case 4 -> b = Arrays.copyOf(b, at);
        case 5 -> b = splice(b, at, 0, Arrays.copyOfRange(b, at, Math.min(b.length, at + 1 + random.nextInt(32))));
        default -> b = splice(b, at, 0, new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f});
      }
    }
    return b;
  }

  private static byte[] splice(byte[] b, int at, int remove, byte[] insert) {
    byte[] out = new byte[b.length - remove + insert.length];
    System.arraycopy(b, 0, out, 0, at);
    System.arraycopy(insert, 0, out, at, insert.length);
    System.arraycopy(b, at + remove, out, at + insert.length, b.length - at - remove);
    return out;
  }

  /** Shown in a failure: short enough to read, whole enough to reproduce from the seed and iteration. */
  static String show(byte[] body, boolean text) {
    String s = text ? new String(body, StandardCharsets.UTF_8) : java.util.HexFormat.of().formatHex(body);
    return s.length() > 2000 ? s.substring(0, 2000) + "…(" + s.length() + " chars)" : s;
  }
}
