package io.switchyard.topology.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import io.switchyard.serverkit.http.HttpResponses;
import io.switchyard.topology.query.Graph;
import io.switchyard.topology.query.Traffic;
import io.switchyard.topology.query.TopologyQueries.FreshnessView;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The body of {@code /api/v1/graph}: what the mapper would write for the envelope, but nodes and edges are
 * written straight into a byte array (field names encoded once, no generator, no per-field reflection, no tree;
 * the bytes are the mapper's, see {@link JsonBytes}) and kept for the last few graphs, so a graph the query layer
 * serves again from its cache costs a copy. Thread-safe.
 */
final class GraphJson {
  private static final ObjectMapper MAPPER = HttpResponses.mapper();

  private final Graph[] graphs;
  private final JsonBytes[] bodies;
  private int next;

  GraphJson(int kept) {
    if (kept < 0) {
      throw new IllegalArgumentException("kept graph bodies must not be negative: " + kept);
    }
    graphs = new Graph[kept];
    bodies = new JsonBytes[kept];
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
    JsonBytes body = nodesAndEdges(g);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    boolean onlyHead = "HEAD".equalsIgnoreCase(ex.getRequestMethod());
    ex.sendResponseHeaders(200, onlyHead ? -1 : head.size() + body.size() + 1);
    if (!onlyHead) {
      try (OutputStream out = ex.getResponseBody()) {
        head.writeTo(out);
        body.writeTo(out);
        out.write('}');
      }
    }
    ex.close();
  }

  /** {@code "nodes":[...],"edges":[...]} of the graph, encoded once per graph instance. */
  JsonBytes nodesAndEdges(Graph g) {
    synchronized (this) {
      for (int i = 0; i < graphs.length; i++) {
        if (graphs[i] == g) {
          return bodies[i];
        }
      }
    }
    JsonBytes body = encode(g);
    synchronized (this) {
      if (graphs.length > 0) {
        graphs[next] = g;
        bodies[next] = body;
        next = (next + 1) % graphs.length;
      }
    }
    return body;
  }

  /**
   * Kept as written, not copied to its exact size: a large graph's body is a humongous object for G1, and each
   * one allocated is a collection pause sooner.
   */
  private static JsonBytes encode(Graph g) {
    // About what the bench's 1,000 services and 5,000 edges take (2.3 MB), so the buffer seldom grows.
    JsonBytes out = new JsonBytes(360 * g.nodes().size() + 420 * g.edges().size() + 64);
    out.raw(NODES);
    for (int i = 0; i < g.nodes().size(); i++) {
      if (i > 0) {
        out.raw(',');
      }
      node(out, g.nodes().get(i));
    }
    out.raw(EDGES);
    for (int i = 0; i < g.edges().size(); i++) {
      if (i > 0) {
        out.raw(',');
      }
      edge(out, g.edges().get(i));
    }
    out.raw(']');
    return out;
  }

  // Field names with their punctuation, encoded once: a 5,000-edge body holds about 150,000 of them.
  private static final byte[] NODES = JsonBytes.ascii("\"nodes\":[");
  private static final byte[] EDGES = JsonBytes.ascii("],\"edges\":[");
  private static final byte[] N_ID = JsonBytes.ascii("{\"id\":");
  private static final byte[] N_NAME = JsonBytes.ascii(",\"name\":");
  private static final byte[] N_NAMESPACE = JsonBytes.ascii(",\"namespace\":");
  private static final byte[] N_SERVICE = JsonBytes.ascii(",\"service\":");
  private static final byte[] N_WORKLOAD = JsonBytes.ascii(",\"workload\":");
  private static final byte[] N_APP = JsonBytes.ascii(",\"app\":");
  private static final byte[] N_VERSION = JsonBytes.ascii(",\"version\":");
  private static final byte[] N_KIND = JsonBytes.ascii(",\"kind\":");
  private static final byte[] N_ROOT = JsonBytes.ascii(",\"root\":");
  private static final byte[] N_REQUESTS_IN = JsonBytes.ascii(",\"requestsIn\":");
  private static final byte[] N_RATE_IN = JsonBytes.ascii(",\"requestRateIn\":");
  private static final byte[] N_ERRORS_IN = JsonBytes.ascii(",\"errorPercentIn\":");
  private static final byte[] N_REQUESTS_OUT = JsonBytes.ascii(",\"requestsOut\":");
  private static final byte[] N_RATE_OUT = JsonBytes.ascii(",\"requestRateOut\":");
  private static final byte[] N_LATENCY = JsonBytes.ascii(",\"latencyMs\":");
  private static final byte[] N_RESPONSES_IN = JsonBytes.ascii(",\"responsesIn\":");
  private static final byte[] E_ID = N_ID;
  private static final byte[] E_SOURCE = JsonBytes.ascii(",\"source\":");
  private static final byte[] E_TARGET = JsonBytes.ascii(",\"target\":");
  private static final byte[] E_CONNECTION = JsonBytes.ascii(",\"connectionType\":");
  private static final byte[] E_PROTOCOL = JsonBytes.ascii(",\"protocol\":");
  private static final byte[] E_TELEMETRY = JsonBytes.ascii(",\"telemetry\":");
  private static final byte[] E_REQUESTS = JsonBytes.ascii(",\"requests\":");
  private static final byte[] E_FAILED = JsonBytes.ascii(",\"failed\":");
  private static final byte[] E_RATE = JsonBytes.ascii(",\"requestRate\":");
  private static final byte[] E_ERRORS = JsonBytes.ascii(",\"errorPercent\":");
  private static final byte[] E_LATENCY = N_LATENCY;
  private static final byte[] E_CLIENT_LATENCY = JsonBytes.ascii(",\"clientLatencyMs\":");
  private static final byte[] E_QUEUE_LATENCY = JsonBytes.ascii(",\"queueLatencyMs\":");
  private static final byte[] E_RESPONSES = JsonBytes.ascii(",\"responses\":");
  private static final byte[] E_FLAGS = JsonBytes.ascii(",\"responseFlags\":");
  private static final byte[] P50 = JsonBytes.ascii("{\"p50\":");
  private static final byte[] P95 = JsonBytes.ascii(",\"p95\":");
  private static final byte[] P99 = JsonBytes.ascii(",\"p99\":");

  private static void node(JsonBytes out, Graph.Node n) {
    out.raw(N_ID).string(n.id());
    out.raw(N_NAME).string(n.name());
    out.raw(N_NAMESPACE).string(n.namespace());
    out.raw(N_SERVICE).string(n.service());
    out.raw(N_WORKLOAD).string(n.workload());
    out.raw(N_APP).string(n.app());
    out.raw(N_VERSION).string(n.version());
    out.raw(N_KIND).string(n.kind());
    out.raw(N_ROOT).bool(n.root());
    out.raw(N_REQUESTS_IN).number(n.requestsIn());
    out.raw(N_RATE_IN).number(n.requestRateIn());
    out.raw(N_ERRORS_IN).number(n.errorPercentIn());
    out.raw(N_REQUESTS_OUT).number(n.requestsOut());
    out.raw(N_RATE_OUT).number(n.requestRateOut());
    latency(out.raw(N_LATENCY), n.latencyMs());
    counts(out.raw(N_RESPONSES_IN), n.responsesIn());
    out.raw('}');
  }

  private static void edge(JsonBytes out, Graph.Edge e) {
    out.raw(E_ID).string(e.id());
    out.raw(E_SOURCE).string(e.source());
    out.raw(E_TARGET).string(e.target());
    out.raw(E_CONNECTION).string(e.connectionType());
    out.raw(E_PROTOCOL).string(e.protocol());
    out.raw(E_TELEMETRY).string(e.telemetry());
    out.raw(E_REQUESTS).number(e.requests());
    out.raw(E_FAILED).number(e.failed());
    out.raw(E_RATE).number(e.requestRate());
    out.raw(E_ERRORS).number(e.errorPercent());
    latency(out.raw(E_LATENCY), e.latencyMs());
    latency(out.raw(E_CLIENT_LATENCY), e.clientLatencyMs());
    if (e.queueLatencyMs() != null) {
      latency(out.raw(E_QUEUE_LATENCY), e.queueLatencyMs());
    }
    counts(out.raw(E_RESPONSES), e.responses());
    counts(out.raw(E_FLAGS), e.responseFlags());
    out.raw('}');
  }

  private static void latency(JsonBytes out, Traffic.Latency l) {
    out.raw(P50).number(l.p50());
    out.raw(P95).number(l.p95());
    out.raw(P99).number(l.p99());
    out.raw('}');
  }

  private static void counts(JsonBytes out, Map<String, Double> counts) {
    out.raw('{');
    boolean first = true;
    for (Map.Entry<String, Double> c : counts.entrySet()) {
      if (!first) {
        out.raw(',');
      }
      first = false;
      out.string(c.getKey()).raw(':').number(c.getValue().doubleValue());
    }
    out.raw('}');
  }
}
