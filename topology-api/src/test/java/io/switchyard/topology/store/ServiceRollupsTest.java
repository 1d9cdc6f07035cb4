package io.switchyard.topology.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.ServiceAggregate;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ServiceRollupsTest {
  private static final String[] NAMES = {"", "a", "ab", "b", "\u00e9t\u00e9", "svc-10", "svc-1", "x".repeat(200)};

  @Test
  void aServiceWindowIsSkippedByItsBytesOnlyWhenItNamesAnotherService() throws Exception {
    Random random = new Random(7);
    int skipped = 0;
    for (int i = 0; i < 5_000; i++) {
      ServiceAggregate.Builder b = ServiceAggregate.newBuilder()
          .setSchemaVersion(random.nextInt(3))
          .setWindowStartUnixMs(random.nextLong())
          .setRequestCount(random.nextInt(100));
      if (random.nextInt(8) > 0) {
        NodeRef.Builder node = NodeRef.newBuilder().setName(NAMES[random.nextInt(NAMES.length)])
            .setNamespace(NAMES[random.nextInt(NAMES.length)]);
        if (random.nextBoolean()) {
          node.setKindValue(random.nextInt(5));
        }
        b.setService(node);
      }
      ByteArrayOutputStream wire = new ByteArrayOutputStream();
      b.build().writeTo(wire);
      if (random.nextInt(6) == 0) {
        // A second service reference later in the bytes merges into the first.
        ServiceAggregate.newBuilder().setService(NodeRef.newBuilder().setNamespace("n")
            .setName(random.nextBoolean() ? "" : NAMES[random.nextInt(NAMES.length)])).build().writeTo(wire);
      }
      byte[] bytes = wire.toByteArray();
      String actual = ServiceAggregate.parseFrom(bytes).getService().getName();
      for (String name : NAMES) {
        boolean may = ServiceRollups.mayName(bytes, 0, name.getBytes(StandardCharsets.UTF_8));
        if (name.equals(actual)) {
          assertThat(may).as("%s in %s", name, b).isTrue();
        } else if (!may) {
          skipped++;
        }
      }
      byte[] rollup = new byte[4 + bytes.length];
      System.arraycopy(bytes, 0, rollup, 4, bytes.length);
      assertThat(ServiceRollups.mayName(rollup, 4, actual.getBytes(StandardCharsets.UTF_8))).isTrue();
    }
    assertThat(skipped).as("other services skipped").isGreaterThan(20_000);
  }
}
