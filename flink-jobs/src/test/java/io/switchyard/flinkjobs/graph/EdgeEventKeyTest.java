package io.switchyard.flinkjobs.graph;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The in-place key comparison the pre-aggregation uses ({@link EdgeEvent#sameEdge},
 * {@link EdgeEvent#sameService} and their hashes) agrees with the key strings the keyed windows group
 * by, over many random pairs of events whose fields share values.
 */
class EdgeEventKeyTest {
  private static final List<String> VALUES = List.of("", "a", "b", "svc-1", "10.0.0.1");

  private static String pick(Random r) {
    return VALUES.get(r.nextInt(VALUES.size()));
  }

  private static EdgeEvent random(Random r) {
    EdgeEvent e = new EdgeEvent();
    e.clientName = pick(r);
    e.clientNamespace = pick(r);
    e.clientWorkload = pick(r);
    e.clientVersion = pick(r);
    e.clientKind = r.nextInt(2);
    e.serverName = pick(r);
    e.serverNamespace = pick(r);
    e.serverWorkload = pick(r);
    e.serverVersion = pick(r);
    e.serverKind = r.nextInt(2);
    e.source = 1 + r.nextInt(2);
    e.connectionType = r.nextBoolean() ? "" : "database";
    e.protocol = r.nextBoolean() ? "" : "kafka";
    // Fields outside the keys must not matter.
    e.timestampMs = r.nextLong();
    e.weight = r.nextDouble();
    e.responseClass = pick(r);
    return e;
  }

  /** A field-by-field copy in new String objects, as a second parse of the same span would give. */
  private static EdgeEvent copy(EdgeEvent e) {
    EdgeEvent c = new EdgeEvent();
    c.clientName = new String(e.clientName);
    c.clientNamespace = new String(e.clientNamespace);
    c.clientWorkload = new String(e.clientWorkload);
    c.clientVersion = new String(e.clientVersion);
    c.clientKind = e.clientKind;
    c.serverName = new String(e.serverName);
    c.serverNamespace = new String(e.serverNamespace);
    c.serverWorkload = new String(e.serverWorkload);
    c.serverVersion = new String(e.serverVersion);
    c.serverKind = e.serverKind;
    c.source = e.source;
    c.connectionType = new String(e.connectionType);
    c.protocol = new String(e.protocol);
    return c;
  }

  @Test
  void sameEdgeAndSameServiceAgreeWithTheKeyStrings() {
    Random r = new Random(42);
    int sameEdges = 0;
    int sameServices = 0;
    for (int i = 0; i < 200_000; i++) {
      EdgeEvent a = random(r);
      EdgeEvent b = r.nextInt(4) == 0 ? copy(a) : random(r);
      if (r.nextInt(3) == 0) {
        b.serverName = a.serverName; // more pairs that share the service but not the edge
      }
      // Names without the key separators: equal key strings exactly when the fields are equal.
      assertThat(a.sameEdge(b)).isEqualTo(a.edgeKey().equals(b.edgeKey()));
      assertThat(a.sameService(b)).isEqualTo(a.serviceKey().equals(b.serviceKey()));
      if (a.sameEdge(b)) {
        assertThat(a.edgeHash()).isEqualTo(b.edgeHash());
        sameEdges++;
      }
      if (a.sameService(b)) {
        assertThat(a.serviceHash()).isEqualTo(b.serviceHash());
        sameServices++;
      }
    }
    assertThat(sameEdges).isGreaterThan(40_000);
    assertThat(sameServices).isGreaterThan(sameEdges);
  }

  @Test
  void versionsWorkloadsKindsConnectionTypesAndProtocolsOfOneHopShareItsKeys() {
    EdgeEvent v1 = random(new Random(7));
    EdgeEvent v2 = copy(v1);
    v2.clientWorkload = v1.clientWorkload + "-x";
    v2.clientVersion = v1.clientVersion + "-x";
    v2.clientKind = v1.clientKind + 1;
    v2.serverWorkload = v1.serverWorkload + "-x";
    v2.serverVersion = v1.serverVersion + "-x";
    v2.serverKind = v1.serverKind + 1;
    v2.connectionType = v1.connectionType + "-x";
    v2.protocol = v1.protocol + "-x";
    assertThat(v2.edgeKey()).isEqualTo(v1.edgeKey());
    assertThat(v2.serviceKey()).isEqualTo(v1.serviceKey());
    assertThat(v1.sameEdge(v2)).isTrue();
    assertThat(v1.sameService(v2)).isTrue();
    assertThat(v2.edgeHash()).isEqualTo(v1.edgeHash());
    assertThat(v2.serviceHash()).isEqualTo(v1.serviceHash());
    v2.serverNamespace = v1.serverNamespace + "-x";
    assertThat(v1.sameService(v2)).isFalse();
    assertThat(v1.sameEdge(v2)).isFalse();
  }
}
