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
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Map;

/**
 * The body of {@code /api/v1/graph}: what the mapper would write for the envelope, but nodes and edges are
 * written straight into a byte array (field names encoded once, no generator, no per-field reflection, no tree;
 * the bytes are the mapper's, see {@link JsonBytes}). A graph's first response is written from a reused buffer;
 * a graph asked for again (the query layer serves the same instance from its cache) gets its bytes kept, for the
 * last few such graphs, so its later responses cost a copy. Thread-safe.
 */
final class GraphJson {
  private static final ObjectMapper MAPPER = HttpResponses.mapper();
  /**
   * Bytes per write to the response stream. The JDK server copies each write into a buffer of its connection that
   * grows to twice the largest write (and the socket write goes through a temporary direct buffer of that size):
   * one write of a 2.3 MB body made a new connection allocate 4.6 MB.
   */
  static final int WRITE_SLICE = 64 << 10;
  /** Buffers for first responses kept between requests, at most this many bytes in all. */
  static final long MAX_SCRATCH_BYTES = 16L << 20;

  private final Graph[] graphs;
  private final JsonBytes[] bodies;
  private int next;
  /**
   * Graphs whose body went out once from a reused buffer: the next request for one keeps its bytes. Held weakly, as
   * the query layer holds a graph asked for once: most are never asked for again.
   */
  private final WeakReference<Graph>[] sentOnce;
  private int nextSentOnce;
  private final ArrayDeque<JsonBytes> scratch = new ArrayDeque<>();
  private long scratchBytes;

  GraphJson(int kept) {
    if (kept < 0) {
      throw new IllegalArgumentException("kept graph bodies must not be negative: " + kept);
    }
    graphs = new Graph[kept];
    bodies = new JsonBytes[kept];
    @SuppressWarnings("unchecked")
    WeakReference<Graph>[] refs = new WeakReference[kept];
    sentOnce = refs;
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
    Body body = body(g);
    try {
      ex.getResponseHeaders().set("Content-Type", "application/json");
      boolean onlyHead = "HEAD".equalsIgnoreCase(ex.getRequestMethod());
      ex.sendResponseHeaders(200, onlyHead ? -1 : head.size() + body.bytes().size() + 1);
      if (!onlyHead) {
        try (OutputStream out = ex.getResponseBody()) {
          head.writeTo(out);
          body.bytes().writeTo(out, WRITE_SLICE);
          out.write('}');
        }
      }
      ex.close();
    } finally {
      // Written (or failed): nothing reads a borrowed buffer any more.
      release(body);
    }
  }

  /** {@code "nodes":[...],"edges":[...]} of a graph, and whether they lie in a borrowed buffer to hand back. */
  record Body(JsonBytes bytes, boolean borrowed) {}

  /**
   * The graph's kept bytes; else, for a graph sent once before, its bytes encoded now and kept; else its bytes
   * encoded into a borrowed buffer. Most graphs (ragged and sliding ranges, each a new window) are asked for once:
   * they cost no new array.
   */
  Body body(Graph g) {
    JsonBytes into = null;
    boolean again = false;
    synchronized (this) {
      for (int i = 0; i < graphs.length; i++) {
        if (graphs[i] == g) {
          return new Body(bodies[i], false);
        }
      }
      for (int i = 0; i < sentOnce.length; i++) {
        if (sentOnce[i] != null && sentOnce[i].get() == g) {
          sentOnce[i] = null;
          again = true;
        }
      }
      if (!again) {
        if (sentOnce.length > 0) {
          sentOnce[nextSentOnce] = new WeakReference<>(g);
          nextSentOnce = (nextSentOnce + 1) % sentOnce.length;
        }
        into = scratch.pollFirst();
        if (into != null) {
          scratchBytes -= into.capacity();
        }
      }
    }
    if (!again) {
      return new Body(encode(g, into), true);
    }
    JsonBytes kept = encode(g, null);
    synchronized (this) {
      graphs[next] = g;
      bodies[next] = kept;
      next = (next + 1) % graphs.length;
    }
    return new Body(kept, false);
  }

  /** A body {@link #body} gave, once sent: a borrowed buffer goes back for the next graph (kept bytes stay). */
  synchronized void release(Body body) {
    JsonBytes b = body.bytes();
    if (body.borrowed() && scratchBytes + b.capacity() <= MAX_SCRATCH_BYTES) {
      scratch.addFirst(b);
      scratchBytes += b.capacity();
    }
  }

  /** Buffers held for first responses, for tests. */
  synchronized int scratchBuffers() {
    return scratch.size();
  }

  /**
   * {@code "nodes":[...],"edges":[...]} of the graph, into {@code into} (emptied first) or a new buffer. Kept as
   * written, not copied to its exact size: a large graph's body is a humongous object for G1, and each one
   * allocated is a collection pause sooner.
   */
  static JsonBytes encode(Graph g, JsonBytes into) {
    JsonBytes out = into;
    if (out == null) {
      // About what the bench's 1,000 services and 5,000 edges take (2.3 MB), so the buffer seldom grows.
      out = new JsonBytes(360 * g.nodes().size() + 420 * g.edges().size() + 64);
    } else {
      out.clear();
    }
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
  private static final byte[] E_CODES = JsonBytes.ascii(",\"responseCodes\":");
  private static final byte[] E_BYTES_SENT = JsonBytes.ascii(",\"bytesSent\":");
  private static final byte[] E_BYTES_RECEIVED = JsonBytes.ascii(",\"bytesReceived\":");
  private static final byte[] E_BYTES_SENT_RATE = JsonBytes.ascii(",\"bytesSentRate\":");
  private static final byte[] E_BYTES_RECEIVED_RATE = JsonBytes.ascii(",\"bytesReceivedRate\":");
  private static final byte[] P50 = JsonBytes.ascii("{\"p50\":");
  private static final byte[] P90 = JsonBytes.ascii(",\"p90\":");
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
    if (e.responseCodes() != null) {
      counts(out.raw(E_CODES), e.responseCodes());
    }
    present(out, E_BYTES_SENT, e.bytesSent());
    present(out, E_BYTES_RECEIVED, e.bytesReceived());
    present(out, E_BYTES_SENT_RATE, e.bytesSentRate());
    present(out, E_BYTES_RECEIVED_RATE, e.bytesReceivedRate());
    out.raw('}');
  }

  /** A field left out when null, as the mapper does for NON_NULL components. */
  private static void present(JsonBytes out, byte[] name, Double value) {
    if (value != null) {
      out.raw(name).number(value.doubleValue());
    }
  }

  private static void latency(JsonBytes out, Traffic.Latency l) {
    out.raw(P50).number(l.p50());
    out.raw(P90).number(l.p90());
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
