package io.switchyard.topology.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import io.switchyard.serverkit.http.HttpResponses;
import io.switchyard.topology.query.Graph;
import io.switchyard.topology.query.Traffic;
import io.switchyard.topology.query.TopologyQueries.FreshnessView;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The body of {@code /api/v1/graph}: what the mapper would write for the envelope, but nodes and edges go
 * through a streaming generator (no per-field reflection, no tree) and their bytes are kept for the last few
 * graphs, so a graph the query layer serves again from its cache costs a copy. Thread-safe.
 */
final class GraphJson {
  private static final ObjectMapper MAPPER = HttpResponses.mapper();

  private final Graph[] graphs;
  private final byte[][] bodies;
  private int next;

  GraphJson(int kept) {
    if (kept < 0) {
      throw new IllegalArgumentException("kept graph bodies must not be negative: " + kept);
    }
    graphs = new Graph[kept];
    bodies = new byte[kept][];
  }

  void send(HttpExchange ex, FreshnessView fresh, Graph g) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream(512);
    head.write("{\"freshness\":".getBytes(StandardCharsets.UTF_8));
    head.write(MAPPER.writeValueAsBytes(fresh));
    head.write(",\"window\":".getBytes(StandardCharsets.UTF_8));
    head.write(MAPPER.writeValueAsBytes(g.window().view()));
    head.write(",\"type\":".getBytes(StandardCharsets.UTF_8));
    head.write(MAPPER.writeValueAsBytes(g.type().wireName()));
    head.write(',');
    byte[] body = nodesAndEdges(g);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    boolean onlyHead = "HEAD".equalsIgnoreCase(ex.getRequestMethod());
    ex.sendResponseHeaders(200, onlyHead ? -1 : head.size() + body.length + 1);
    if (!onlyHead) {
      try (OutputStream out = ex.getResponseBody()) {
        head.writeTo(out);
        out.write(body);
        out.write('}');
      }
    }
    ex.close();
  }

  /** {@code "nodes":[...],"edges":[...]} of the graph, encoded once per graph instance. */
  byte[] nodesAndEdges(Graph g) {
    synchronized (this) {
      for (int i = 0; i < graphs.length; i++) {
        if (graphs[i] == g) {
          return bodies[i];
        }
      }
    }
    byte[] body = encode(g);
    synchronized (this) {
      if (graphs.length > 0) {
        graphs[next] = g;
        bodies[next] = body;
        next = (next + 1) % graphs.length;
      }
    }
    return body;
  }

  private static byte[] encode(Graph g) {
    Body buffer = new Body(512 * (g.nodes().size() + 2 * g.edges().size()) + 64);
    JsonNumbers numbers = new JsonNumbers();
    try (JsonGenerator gen = MAPPER.getFactory().createGenerator(buffer)) {
      // A field list, not an object: the caller places it inside the envelope.
      gen.writeStartObject();
      gen.writeArrayFieldStart("nodes");
      for (Graph.Node n : g.nodes()) {
        node(gen, numbers, n);
      }
      gen.writeEndArray();
      gen.writeArrayFieldStart("edges");
      for (Graph.Edge e : g.edges()) {
        edge(gen, numbers, e);
      }
      gen.writeEndArray();
      gen.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return buffer.fields();
  }

  /** The encoded object's bytes without its braces, copied once. */
  private static final class Body extends ByteArrayOutputStream {
    Body(int size) {
      super(size);
    }

    byte[] fields() {
      return java.util.Arrays.copyOfRange(buf, 1, count - 1);
    }
  }

  private static void node(JsonGenerator gen, JsonNumbers numbers, Graph.Node n) throws IOException {
    gen.writeStartObject();
    gen.writeStringField("id", n.id());
    gen.writeStringField("name", n.name());
    gen.writeStringField("namespace", n.namespace());
    gen.writeStringField("service", n.service());
    gen.writeStringField("workload", n.workload());
    gen.writeStringField("app", n.app());
    gen.writeStringField("version", n.version());
    gen.writeStringField("kind", n.kind());
    gen.writeBooleanField("root", n.root());
    number(gen, numbers, "requestsIn", n.requestsIn());
    number(gen, numbers, "requestRateIn", n.requestRateIn());
    nullable(gen, numbers, "errorPercentIn", n.errorPercentIn());
    number(gen, numbers, "requestsOut", n.requestsOut());
    number(gen, numbers, "requestRateOut", n.requestRateOut());
    latency(gen, numbers, "latencyMs", n.latencyMs());
    counts(gen, numbers, "responsesIn", n.responsesIn());
    gen.writeEndObject();
  }

  private static void edge(JsonGenerator gen, JsonNumbers numbers, Graph.Edge e) throws IOException {
    gen.writeStartObject();
    gen.writeStringField("id", e.id());
    gen.writeStringField("source", e.source());
    gen.writeStringField("target", e.target());
    gen.writeStringField("connectionType", e.connectionType());
    gen.writeStringField("protocol", e.protocol());
    gen.writeStringField("telemetry", e.telemetry());
    number(gen, numbers, "requests", e.requests());
    number(gen, numbers, "failed", e.failed());
    number(gen, numbers, "requestRate", e.requestRate());
    nullable(gen, numbers, "errorPercent", e.errorPercent());
    latency(gen, numbers, "latencyMs", e.latencyMs());
    latency(gen, numbers, "clientLatencyMs", e.clientLatencyMs());
    if (e.queueLatencyMs() != null) {
      latency(gen, numbers, "queueLatencyMs", e.queueLatencyMs());
    }
    counts(gen, numbers, "responses", e.responses());
    counts(gen, numbers, "responseFlags", e.responseFlags());
    gen.writeEndObject();
  }

  private static void number(JsonGenerator gen, JsonNumbers numbers, String name, double v) throws IOException {
    gen.writeFieldName(name);
    numbers.write(gen, v);
  }

  private static void nullable(JsonGenerator gen, JsonNumbers numbers, String name, Double v) throws IOException {
    if (v == null) {
      gen.writeNullField(name);
    } else {
      number(gen, numbers, name, v);
    }
  }

  private static void latency(JsonGenerator gen, JsonNumbers numbers, String name, Traffic.Latency l)
      throws IOException {
    gen.writeObjectFieldStart(name);
    nullable(gen, numbers, "p50", l.p50());
    nullable(gen, numbers, "p95", l.p95());
    nullable(gen, numbers, "p99", l.p99());
    gen.writeEndObject();
  }

  private static void counts(JsonGenerator gen, JsonNumbers numbers, String name, Map<String, Double> counts) throws IOException {
    gen.writeObjectFieldStart(name);
    for (Map.Entry<String, Double> c : counts.entrySet()) {
      number(gen, numbers, c.getKey(), c.getValue());
    }
    gen.writeEndObject();
  }
}
