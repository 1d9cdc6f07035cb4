package io.switchyard.topology.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchyard.serverkit.http.HttpResponses;
import io.switchyard.topology.query.Graph;
import io.switchyard.topology.query.GraphType;
import io.switchyard.topology.query.QueryWindow;
import io.switchyard.topology.query.Traffic;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The hand-streamed graph body is byte for byte what the mapper writes for the same nodes and edges. */
class GraphJsonTest {
  private static final ObjectMapper MAPPER = HttpResponses.mapper();

  @Test
  void bodyBytesEqualTheMappersForRandomGraphs() throws Exception {
    Random random = new Random(17);
    for (int round = 0; round < 60; round++) {
      List<Graph.Node> nodes = new ArrayList<>();
      List<Graph.Edge> edges = new ArrayList<>();
      // Empty graphs, one-element arrays, and bodies that outgrow the writer's first buffer.
      int size = round < 2 ? round : round < 50 ? 30 : 600;
      for (int i = 0; i < size; i++) {
        nodes.add(new Graph.Node(text(random), text(random), text(random), text(random), text(random), text(random),
            text(random), "service", random.nextBoolean(), number(random), number(random), nullable(random), number(random),
            number(random), latency(random), counts(random)));
        edges.add(new Graph.Edge(text(random), text(random), text(random), text(random), "http", "mesh", number(random),
            number(random), number(random), nullable(random), latency(random), latency(random), random.nextBoolean() ? latency(random) : null,
            counts(random), counts(random), random.nextBoolean() ? counts(random) : null, present(random),
            present(random), present(random), present(random)));
      }
      Graph g = new Graph(GraphType.SERVICE, new QueryWindow(0, 60_000, 60_000), nodes, edges);
      Map<String, Object> expected = new LinkedHashMap<>();
      expected.put("nodes", nodes);
      expected.put("edges", edges);
      // Bytes as Latin-1 text: compared byte by byte, shown readably.
      String mapper = new String(MAPPER.writeValueAsBytes(expected), StandardCharsets.ISO_8859_1);
      String streamed = "{" + new String(GraphJson.encode(g, null).toByteArray(), StandardCharsets.ISO_8859_1) + "}";
      int at = 0;
      while (at < Math.min(streamed.length(), mapper.length()) && streamed.charAt(at) == mapper.charAt(at)) {
        at++;
      }
      // The first difference and what surrounds it, rather than two long bodies.
      assertThat(visible(streamed.substring(Math.max(0, at - 40), Math.min(streamed.length(), at + 40))))
          .isEqualTo(visible(mapper.substring(Math.max(0, at - 40), Math.min(mapper.length(), at + 40))));
      assertThat(streamed).isEqualTo(mapper);
    }
  }

  @Test
  void aBodyInAReusedBufferHoldsOnlyItsOwnBytesAndAGraphAskedForAgainKeepsItsBytes() {
    Random random = new Random(3);
    GraphJson json = new GraphJson(2);
    Graph large = graph(random, 300);
    Graph small = graph(random, 3);
    byte[] largeBytes = GraphJson.encode(large, null).toByteArray();
    byte[] smallBytes = GraphJson.encode(small, null).toByteArray();

    GraphJson.Body first = json.body(large);
    assertThat(first.borrowed()).isTrue();
    assertThat(first.bytes().toByteArray()).isEqualTo(largeBytes);
    json.release(first);
    assertThat(json.scratchBuffers()).isEqualTo(1);
    // The buffer that held the large body, emptied: none of its old bytes show.
    GraphJson.Body second = json.body(small);
    assertThat(second.bytes()).isSameAs(first.bytes());
    assertThat(second.bytes().toByteArray()).isEqualTo(smallBytes);
    json.release(second);

    // Asked for again: encoded into bytes of its own, kept, and the same bytes from then on.
    GraphJson.Body again = json.body(large);
    assertThat(again.borrowed()).isFalse();
    assertThat(again.bytes()).isNotSameAs(first.bytes());
    assertThat(again.bytes().toByteArray()).isEqualTo(largeBytes);
    assertThat(json.body(large).bytes()).isSameAs(again.bytes());

    // Without kept bodies every response is a borrowed buffer.
    GraphJson none = new GraphJson(0);
    for (int i = 0; i < 3; i++) {
      GraphJson.Body b = none.body(large);
      assertThat(b.borrowed()).isTrue();
      assertThat(b.bytes().toByteArray()).isEqualTo(largeBytes);
      none.release(b);
    }
  }

  @Test
  void aGraphSentOnceIsNotHeldForItsBytes() {
    GraphJson json = new GraphJson(2);
    java.lang.ref.WeakReference<Graph> sent = sendOnce(json);
    for (int i = 0; i < 20 && sent.get() != null; i++) {
      System.gc();
    }
    assertThat(sent.get()).as("most graphs are asked for once: left to the collector").isNull();
  }

  private static java.lang.ref.WeakReference<Graph> sendOnce(GraphJson json) {
    Graph g = graph(new Random(4), 30);
    json.release(json.body(g));
    return new java.lang.ref.WeakReference<>(g);
  }

  private static Graph graph(Random random, int size) {
    List<Graph.Node> nodes = new ArrayList<>();
    List<Graph.Edge> edges = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      nodes.add(new Graph.Node("n" + i, "n" + i, "ns", "n" + i, "w", "a", "v1", "service", false, number(random),
          number(random), nullable(random), number(random), number(random), latency(random), counts(random)));
      edges.add(new Graph.Edge("e" + i, "n" + i, "n" + (i + 1) % size, "http", "http", "mesh", number(random),
          number(random), number(random), nullable(random), latency(random), latency(random), null, counts(random),
          counts(random), null, null, null, null, null));
    }
    return new Graph(GraphType.SERVICE, new QueryWindow(0, 60_000, 60_000), nodes, edges);
  }

  private static String visible(String s) {
    StringBuilder b = new StringBuilder();
    s.chars().forEach(c -> b.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("<%04x>", c)));
    return b.toString();
  }

  /** Names with quotes, escapes, control characters, DEL, non-ASCII and surrogate pairs; mostly plain ones. */
  private static String text(Random random) {
    String alphabet = random.nextBoolean() ? "abcxyz-./_:0189 ~" : "abc-./_\"\\\n\t\u0001\u001f\u007f\u00e9\u4e2d\ud83d\ude00 ";
    StringBuilder b = new StringBuilder();
    for (int i = random.nextInt(12); i > 0; i--) {
      b.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return b.toString();
  }

  /** Optional figures (TCP bytes): left out when null. */
  private static Double present(Random random) {
    return random.nextBoolean() ? number(random) : null;
  }

  /** Counts, rounded figures, and any double, as a graph may hold. */
  private static double number(Random random) {
    double raw = Math.pow(10, -6 + 14 * random.nextDouble());
    return switch (random.nextInt(6)) {
      case 0 -> Math.rint(raw);
      case 1 -> Math.round(raw * 1000) / 1000.0;
      case 2 -> Math.round(raw * 10_000) / 10_000.0;
      case 3 -> raw;
      case 4 -> switch (random.nextInt(6)) {
        case 0 -> Double.NaN;
        case 1 -> Double.POSITIVE_INFINITY;
        case 2 -> Double.NEGATIVE_INFINITY;
        case 3 -> -0.0;
        default -> 0.0;
      };
      default -> -Math.rint(raw);
    };
  }

  private static Double nullable(Random random) {
    return random.nextInt(4) == 0 ? null : number(random);
  }

  private static Traffic.Latency latency(Random random) {
    return new Traffic.Latency(nullable(random), nullable(random), nullable(random), nullable(random));
  }

  private static Map<String, Double> counts(Random random) {
    Map<String, Double> m = new TreeMap<>();
    for (int i = random.nextInt(4); i > 0; i--) {
      m.put(text(random), number(random));
    }
    return m;
  }
}
