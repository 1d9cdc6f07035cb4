package io.switchyard.topology.query;

import static io.switchyard.topology.Fixtures.MINUTE;
import static io.switchyard.topology.Fixtures.T0;
import static io.switchyard.topology.Fixtures.service;
import static io.switchyard.topology.Fixtures.serviceWindow;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.ServiceAggregate;
import io.switchyard.model.v1.TelemetrySource;
import io.switchyard.testing.MutableClock;
import io.switchyard.topology.store.RocksTopologyStore;
import io.switchyard.topology.store.StoreBatch;
import io.switchyard.topology.store.TopologyStore;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

/**
 * Service RED series and summaries read from the service roll-ups equal those added up from the stored minutes
 * alone, on random ranges and steps, while minutes arrive late, are re-emitted, switch telemetry source and age
 * out, and after a store from before service roll-ups is opened (they are rebuilt).
 */
class ServiceRollupEquivalenceTest {
  private static final long HOUR = 60 * MINUTE;
  private static final NodeRef[] SERVICES = {service("a", "x"), service("b", "x"), service("c", "y"), service("d", "z")};

  @TempDir Path dir;

  @Test
  void seriesFromRollUpsEqualSeriesAddedUpFromMinutes() throws Exception {
    Random random = new Random(41);
    MutableClock clock = new MutableClock(Instant.ofEpochMilli(T0 + 10 * HOUR));
    int compared = 0;
    long newest = T0;
    for (int stage = 0; stage < 2; stage++) {
      try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
        TopologyQueries subject = new TopologyQueries(store, clock, () -> 0, () -> true, new DecodePool(0));
        TopologyQueries minutes = new TopologyQueries(minutesOnly(store), clock, () -> 0, () -> true, new DecodePool(0));
        assertThat(store.hasServiceRollups()).isTrue();
        for (int phase = 0; phase < 6; phase++) {
          StoreBatch b = new StoreBatch();
          int first = stage * 6 * 40 + phase * 40;
          for (int m = first; m < first + 40; m++) {
            for (int s = 0; s < SERVICES.length; s++) {
              if (random.nextInt(10) > 0) {
                write(b, random, s, T0 + m * MINUTE);
              }
            }
          }
          // Late and re-emitted minutes anywhere before, some of the other telemetry source.
          for (int late = 0; late < 12; late++) {
            write(b, random, random.nextInt(SERVICES.length), T0 + random.nextInt(first + 40) * MINUTE);
          }
          store.write(b);
          newest = T0 + (first + 40) * MINUTE;
          if (stage == 1 && phase == 4) {
            // Retention cuts through an hour, a ten- and a five-minute bucket.
            store.deleteOlderThan(T0 + 97 * MINUTE + 30_000);
          }
          compared += compare(random, store, subject, minutes, newest);
        }
      }
      if (stage == 0) {
        forgetServiceRollups();
      }
    }
    assertThat(compared).isGreaterThan(300);
  }

  private int compare(Random random, TopologyStore store, TopologyQueries subject, TopologyQueries minutes, long newest) {
    int compared = 0;
    for (int q = 0; q < 30; q++) {
      long to = T0 + (long) (random.nextDouble() * (newest - T0 + 10 * MINUTE));
      long span = q % 3 == 0 ? 24 * HOUR : (1 + random.nextInt(400)) * MINUTE;
      long from = Math.max(T0 - 5 * MINUTE, to - span);
      if (random.nextBoolean()) {
        from = from / MINUTE * MINUTE;
        to = to / MINUTE * MINUTE;
      }
      if (from >= to) {
        continue;
      }
      QueryWindow window = QueryWindow.resolve(from, to, store.freshness());
      long[] steps = {MINUTE, 5 * MINUTE, 10 * MINUTE, HOUR, (1 + random.nextInt(90)) * MINUTE};
      Long step = random.nextInt(5) == 0 ? null : steps[random.nextInt(steps.length)];
      String name = SERVICES[random.nextInt(SERVICES.length)].getName();
      String namespace = random.nextBoolean() ? null : SERVICES[random.nextInt(SERVICES.length)].getNamespace();
      assertThat(subject.service(name, namespace, window, step)).as("%s in %s over %s step %s", name, namespace, window, step)
          .isEqualTo(minutes.service(name, namespace, window, step));
      assertThat(subject.services(window, namespace)).isEqualTo(minutes.services(window, namespace));
      compared++;
    }
    return compared;
  }

  private static void write(StoreBatch b, Random random, int s, long start) {
    NodeRef node = SERVICES[s];
    TelemetrySource source = random.nextInt(3) == 0 ? TelemetrySource.TELEMETRY_SOURCE_TRACE : TelemetrySource.TELEMETRY_SOURCE_MESH;
    int requests = random.nextInt(80);
    ServiceAggregate a = serviceWindow(node, source, start, requests, random.nextInt(requests + 1),
        0.001 * (1 + random.nextInt(3000)));
    b.service(node.getName() + "." + node.getNamespace(), a);
  }

  /** Makes the store look like one from before service roll-ups: no roll-ups, no mark that they were built. */
  private void forgetServiceRollups() throws Exception {
    try (Options options = new Options(); RocksDB db = RocksDB.open(options, dir.toString())) {
      db.delete(new byte[] {'m', 's'});
      for (char prefix : new char[] {'w', 'x', 'y'}) {
        db.deleteRange(new byte[] {(byte) prefix}, new byte[] {(byte) (prefix + 1)});
      }
    }
  }

  /** The same store without service roll-ups: every series is added up from its minutes. */
  private static TopologyStore minutesOnly(TopologyStore store) {
    return (TopologyStore) Proxy.newProxyInstance(TopologyStore.class.getClassLoader(), new Class<?>[] {TopologyStore.class},
        (proxy, method, args) -> {
          if (method.getName().equals("hasServiceRollups")) {
            return false;
          }
          if (method.getName().equals("scanServices") && args.length == 4) {
            // Every service minute parsed, none skipped by name on its bytes.
            store.scanServices((long) args[0], (long) args[1], (java.util.function.Consumer<ServiceAggregate>) args[3]);
            return null;
          }
          if (method.getName().equals("scanServiceRollups")) {
            throw new AssertionError("a series from minutes read roll-ups");
          }
          try {
            return method.invoke(store, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }
}
