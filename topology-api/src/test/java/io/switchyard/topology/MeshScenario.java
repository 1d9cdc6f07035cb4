package io.switchyard.topology;

import static io.switchyard.topology.Fixtures.MINUTE;
import static io.switchyard.topology.Fixtures.T0;
import static io.switchyard.topology.Fixtures.edge;
import static io.switchyard.topology.Fixtures.node;
import static io.switchyard.topology.Fixtures.service;
import static io.switchyard.topology.Fixtures.serviceWindow;

import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.ServiceAggregate;
import io.switchyard.model.v1.TelemetrySource;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A small mesh over ten one-minute windows starting at {@link Fixtures#T0}; the expected figures in the tests
 * are computed by hand from these numbers:
 * <ul>
 *   <li>user -> frontend: 120 req/min, no failures, 50 ms (mesh)
 *   <li>frontend -> cart: 60 req/min, 3 failed/min, 20 ms (mesh) AND 30 req/min from traces (must be ignored)
 *   <li>cart -> db (virtual): 30 req/min, 5 ms (trace only)
 *   <li>frontend -> payments (namespace pay): 6 req/min, 1 failed/min, 200 ms, first five minutes only (mesh)
 *   <li>service cart: 60 req/min, 3 failed, 20 ms (mesh) and 30 req/min (trace, ignored)
 * </ul>
 */
public final class MeshScenario {
  public static final NodeRef USER = node("user", NodeRef.NodeKind.NODE_KIND_USER);
  public static final NodeRef FRONTEND = service("frontend", "shop");
  public static final NodeRef CART = service("cart", "shop");
  public static final NodeRef DB = node("db", NodeRef.NodeKind.NODE_KIND_VIRTUAL);
  public static final NodeRef PAYMENTS = service("payments", "pay");
  public static final TelemetrySource MESH = TelemetrySource.TELEMETRY_SOURCE_MESH;
  public static final TelemetrySource TRACE = TelemetrySource.TELEMETRY_SOURCE_TRACE;
  /** The clock for the scenario: half a minute after the last window closed. */
  public static final Instant NOW = Instant.ofEpochMilli(T0 + 10 * MINUTE + 30_000);

  private MeshScenario() {}

  public record Keyed<T>(String key, T value) {}

  public static List<Keyed<EdgeAggregate>> edges() {
    List<Keyed<EdgeAggregate>> out = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      long start = T0 + i * MINUTE;
      out.add(new Keyed<>("user->frontend", edge(USER, FRONTEND, MESH, start, 120, 0, 0.05)));
      out.add(new Keyed<>("frontend->cart", edge(FRONTEND, CART, TRACE, start, 30, 0, 0.02)));
      out.add(new Keyed<>("frontend->cart", edge(FRONTEND, CART, MESH, start, 60, 3, 0.02)));
      out.add(new Keyed<>("cart->db", edge(CART, DB, TRACE, start, 30, 0, 0.005).toBuilder().setConnectionType("database").build()));
      if (i < 5) {
        out.add(new Keyed<>("frontend->payments", edge(FRONTEND, PAYMENTS, MESH, start, 6, 1, 0.2)));
      }
    }
    return out;
  }

  public static List<Keyed<ServiceAggregate>> services() {
    List<Keyed<ServiceAggregate>> out = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      long start = T0 + i * MINUTE;
      out.add(new Keyed<>("cart", serviceWindow(CART, MESH, start, 60, 3, 0.02)));
      out.add(new Keyed<>("cart", serviceWindow(CART, TRACE, start, 30, 0, 0.02)));
    }
    return out;
  }
}
