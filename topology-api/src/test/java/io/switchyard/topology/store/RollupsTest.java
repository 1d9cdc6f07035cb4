package io.switchyard.topology.store;

import static io.switchyard.topology.Fixtures.MINUTE;
import static io.switchyard.topology.Fixtures.T0;
import static io.switchyard.topology.Fixtures.edge;
import static io.switchyard.topology.Fixtures.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.model.v1.CodeCount;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.TelemetrySource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RollupsTest {
  private static final NodeRef A = service("a", "shop");
  private static final NodeRef B = service("b", "shop");
  private static final NodeRef C = service("c", "shop");
  private static final TelemetrySource MESH = TelemetrySource.TELEMETRY_SOURCE_MESH;
  private static final TelemetrySource TRACE = TelemetrySource.TELEMETRY_SOURCE_TRACE;
  private static final long HOUR = 60 * MINUTE;

  @TempDir Path dir;

  @Test
  void rollUpsHoldTheSumsOfTheirMinutesPerResolution() {
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      StoreBatch b = new StoreBatch();
      for (int i = 0; i < 12; i++) {
        b.edge("a->b", edge(A, B, MESH, T0 + i * MINUTE, i + 1, i % 2, 0.01));
      }
      store.write(b);

      // Minutes 1..5, 6..10 and 11..12 (requests i + 1), failures every other minute.
      assertThat(requests(store, Resolution.FIVE_MINUTES)).containsExactly(15.0, 40.0, 23.0);
      assertThat(requests(store, Resolution.TEN_MINUTES)).containsExactly(55.0, 23.0);
      assertThat(requests(store, Resolution.THIRTY_MINUTES)).containsExactly(78.0);
      assertThat(requests(store, Resolution.HOUR)).containsExactly(78.0);
      EdgeAggregate hour = rollups(store, Resolution.HOUR).get(0);
      assertThat(hour.getFailedCount()).isEqualTo(6.0);
      assertThat(hour.getWindowStartUnixMs()).isEqualTo(T0);
      assertThat(hour.getWindowEndUnixMs()).isEqualTo(T0 + HOUR);
      assertThat(hour.getServerLatency().getCount()).isEqualTo(78.0);
      assertThat(hour.getServerLatency().getBucketCountsList().stream().mapToDouble(Double::doubleValue).sum()).isEqualTo(78.0);
      assertThat(hour.getResponsesList()).extracting(CodeCount::getCode, CodeCount::getCount)
          .containsExactly(org.assertj.core.groups.Tuple.tuple("2xx", 72.0), org.assertj.core.groups.Tuple.tuple("5xx", 6.0));
      assertThat(hour.getClient()).isEqualTo(A);
      assertThat(hour.getServer()).isEqualTo(B);
      assertThat(hour.getSource()).isEqualTo(MESH);
    }
  }

  @Test
  void aMessagingHopsRollUpsAndTotalHoldTheSumOfItsQueueLatencyAndAReEmittedMinuteMovesThemByTheDifference() {
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      StoreBatch b = new StoreBatch();
      for (int i = 0; i < 12; i++) {
        b.edge("a->b", queued(edge(A, B, TRACE, T0 + i * MINUTE, 10, 0, 0.01), 10, 2.0));
      }
      store.write(b);
      assertThat(rollups(store, Resolution.HOUR).get(0).getMessagingLatency().getCount()).isEqualTo(120.0);
      assertThat(rollups(store, Resolution.FIVE_MINUTES)).extracting(e -> e.getMessagingLatency().getCount())
          .containsExactly(50.0, 50.0, 20.0);
      // Re-emitted with 4 of its 10 messages: the roll-ups and the total lose exactly 6 observations of 2 s.
      store.write(new StoreBatch().edge("a->b", queued(edge(A, B, TRACE, T0 + 3 * MINUTE, 10, 0, 0.01), 4, 2.0)));
      EdgeAggregate hour = rollups(store, Resolution.HOUR).get(0);
      assertThat(hour.getMessagingLatency().getCount()).isEqualTo(114.0);
      assertThat(hour.getMessagingLatency().getSumSeconds()).isCloseTo(228.0, org.assertj.core.data.Offset.offset(1e-9));
      List<EdgeAggregate> totals = new ArrayList<>();
      store.scanEdgeTotals(totals::add);
      assertThat(totals).singleElement().satisfies(t -> {
        assertThat(t.getMessagingLatency().getCount()).isEqualTo(114.0);
        assertThat(t.getMessagingLatency().getBucketCounts(io.switchyard.model.LatencyBuckets.bucketOf(2.0))).isEqualTo(114.0);
      });
    }
  }

  @Test
  void aMeshHopsRollUpsAndTotalHoldTheSumOfItsExactCodesAndBytesAndAReEmittedMinuteMovesThemByTheDifference() {
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      StoreBatch b = new StoreBatch();
      for (int i = 0; i < 12; i++) {
        b.edge("a->b", coded(edge(A, B, MESH, T0 + i * MINUTE, 10, 1, 0.01), 9, 1, 1000));
      }
      store.write(b);
      EdgeAggregate hour = rollups(store, Resolution.HOUR).get(0);
      assertThat(hour.getResponseCodesList()).extracting(CodeCount::getCode, CodeCount::getCount)
          .containsExactly(org.assertj.core.groups.Tuple.tuple("200", 108.0), org.assertj.core.groups.Tuple.tuple("503", 12.0));
      assertThat(hour.getSentBytes()).isEqualTo(12 * 1000.0);
      assertThat(hour.getReceivedBytes()).isEqualTo(12 * 100.0);
      // Re-emitted: 4 more 503s and 2,000 more bytes in minute 3.
      store.write(new StoreBatch().edge("a->b", coded(edge(A, B, MESH, T0 + 3 * MINUTE, 14, 5, 0.01), 9, 5, 3000)));
      hour = rollups(store, Resolution.HOUR).get(0);
      assertThat(hour.getResponseCodesList()).extracting(CodeCount::getCode, CodeCount::getCount)
          .containsExactly(org.assertj.core.groups.Tuple.tuple("200", 108.0), org.assertj.core.groups.Tuple.tuple("503", 16.0));
      assertThat(hour.getSentBytes()).isEqualTo(14_000.0);
      List<EdgeAggregate> totals = new ArrayList<>();
      store.scanEdgeTotals(totals::add);
      assertThat(totals).singleElement().satisfies(t -> {
        assertThat(t.getResponseCodesList()).extracting(CodeCount::getCount).containsExactly(108.0, 16.0);
        assertThat(t.getSentBytes()).isEqualTo(14_000.0);
        assertThat(t.getReceivedBytes()).isEqualTo(1400.0);
      });
    }
  }

  /** {@code e} with {@code ok} 200s and {@code failed} 503s, {@code sent} bytes to the client and a tenth of that back. */
  static EdgeAggregate coded(EdgeAggregate e, double ok, double failed, double sent) {
    return e.toBuilder().addResponseCodes(CodeCount.newBuilder().setCode("200").setCount(ok))
        .addResponseCodes(CodeCount.newBuilder().setCode("503").setCount(failed)).setSentBytes(sent).setReceivedBytes(sent / 10)
        .build();
  }

  @Test
  void rollUpsOfTheLayoutBeforeExactCodesAreRebuiltWithThemOnOpen() throws Exception {
    Map<String, String> expected;
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      StoreBatch b = new StoreBatch();
      for (int i = 0; i < 90; i++) {
        b.edge("a->b", coded(edge(A, B, MESH, T0 + i * MINUTE, 5, 1, 0.01), 4, 1, 100 + i));
      }
      store.write(b);
      store.completeRollups();
      store.writeOpenRollups();
      expected = snapshot(store);
    }
    // What the previous build left: roll-ups without the minutes' codes and bytes, marked layout 3.
    try (org.rocksdb.Options options = new org.rocksdb.Options();
        org.rocksdb.RocksDB db = org.rocksdb.RocksDB.open(options, dir.toString())) {
      for (Resolution r : Resolution.values()) {
        try (org.rocksdb.RocksIterator it = db.newIterator()) {
          for (it.seek(new byte[] {r.prefix}); it.isValid() && it.key()[0] == r.prefix; it.next()) {
            db.put(it.key(), EdgeAggregate.parseFrom(it.value()).toBuilder().clearResponseCodes().clearSentBytes()
                .clearReceivedBytes().build().toByteArray());
          }
        }
      }
      db.put(new byte[] {'m', 'r'}, new byte[] {3});
    }
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      assertThat(snapshot(store)).isEqualTo(expected);
      EdgeAggregate hour = rollups(store, Resolution.HOUR).get(0);
      assertThat(hour.getResponseCodesList()).extracting(CodeCount::getCount).containsExactly(240.0, 60.0);
      assertThat(hour.getSentBytes()).isEqualTo(60 * 100 + 59 * 60 / 2.0);
    }
  }

  /** {@code e} as a messaging hop whose {@code messages} waited {@code queueSeconds} each. */
  static EdgeAggregate queued(EdgeAggregate e, double messages, double queueSeconds) {
    return e.toBuilder().setConnectionType("messaging_system").setProtocol("kafka")
        .setMessagingLatency(io.switchyard.topology.Fixtures.histogram(messages, queueSeconds)).build();
  }

  @Test
  void reEmittedMinuteMovesItsRollUpsByExactlyTheDifference() {
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      StoreBatch b = new StoreBatch();
      for (int i = 0; i < 10; i++) {
        b.edge("a->b", edge(A, B, MESH, T0 + i * MINUTE, 10, 1, 0.01));
      }
      store.write(b);
      store.write(new StoreBatch().edge("a->b", edge(A, B, MESH, T0 + 3 * MINUTE, 25, 4, 0.01)));

      assertThat(requests(store, Resolution.TEN_MINUTES)).containsExactly(115.0);
      assertThat(requests(store, Resolution.FIVE_MINUTES)).containsExactly(65.0, 50.0);
      assertThat(rollups(store, Resolution.HOUR).get(0).getFailedCount()).isEqualTo(13.0);

      // Twice in one batch: the second replaces the first, still counted once.
      store.write(new StoreBatch()
          .edge("a->b", edge(A, B, MESH, T0 + 3 * MINUTE, 30, 0, 0.01))
          .edge("a->b", edge(A, B, MESH, T0 + 3 * MINUTE, 12, 0, 0.01)));
      assertThat(requests(store, Resolution.HOUR)).containsExactly(102.0);
    }
  }

  @Test
  void reEmittedMinuteAfterReopenIsReadBackFromTheStore() {
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      store.write(new StoreBatch().edge("a->b", edge(A, B, MESH, T0, 10, 0, 0.01))
          .edge("a->b", edge(A, B, MESH, T0 + MINUTE, 20, 0, 0.01)));
    }
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      store.write(new StoreBatch().edge("a->b", edge(A, B, MESH, T0, 15, 0, 0.01)));
      assertThat(requests(store, Resolution.HOUR)).containsExactly(35.0);
    }
  }

  @Test
  void meshMinuteReplacesTheTraceMinuteInTheRollUpAndLaterTracesAreIgnored() {
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      store.write(new StoreBatch().edge("a->b", edge(A, B, TRACE, T0, 40, 0, 0.01))
          .edge("a->b", edge(A, B, TRACE, T0 + MINUTE, 7, 0, 0.01)));
      assertThat(rollups(store, Resolution.HOUR)).extracting(EdgeAggregate::getSource, EdgeAggregate::getRequestCount)
          .containsExactly(org.assertj.core.groups.Tuple.tuple(TRACE, 47.0));

      store.write(new StoreBatch().edge("a->b", edge(A, B, MESH, T0, 100, 0, 0.01)));
      store.write(new StoreBatch().edge("a->b", edge(A, B, TRACE, T0, 400, 0, 0.01)));
      assertThat(rollups(store, Resolution.HOUR)).extracting(EdgeAggregate::getSource, EdgeAggregate::getRequestCount)
          .containsExactly(org.assertj.core.groups.Tuple.tuple(TRACE, 7.0), org.assertj.core.groups.Tuple.tuple(MESH, 100.0));

      // The trace minute that was the only one of its roll-up goes away with it.
      store.write(new StoreBatch().edge("a->b", edge(A, B, MESH, T0 + MINUTE, 9, 0, 0.01)));
      assertThat(rollups(store, Resolution.HOUR)).extracting(EdgeAggregate::getSource, EdgeAggregate::getRequestCount)
          .containsExactly(org.assertj.core.groups.Tuple.tuple(MESH, 109.0));
    }
  }

  @Test
  void incrementalRollUpsEqualRollUpsRecomputedFromTheMinutes() throws Exception {
    Random random = new Random(7);
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      for (int round = 0; round < 40; round++) {
        StoreBatch b = new StoreBatch();
        for (int i = 0; i < 25; i++) {
          long start = T0 + random.nextInt(150) * MINUTE;
          NodeRef server = random.nextBoolean() ? B : C;
          TelemetrySource source = random.nextInt(3) == 0 ? MESH : TRACE;
          int requests = 1 + random.nextInt(50);
          EdgeAggregate e = edge(A, server, source, start, requests, random.nextInt(requests), 0.001 * (1 + random.nextInt(90)));
          // Some minutes of a hop are messaging ones, so queue latency is added and taken out again as minutes change.
          b.edge("a->" + server.getName(), random.nextInt(3) == 0 ? queued(e, requests, 0.01 * (1 + random.nextInt(300))) : e);
        }
        store.write(b);
      }
      Map<String, String> incremental = snapshot(store);
      store.rebuildRollups(0, Long.MAX_VALUE);
      assertThat(incremental).isNotEmpty().isEqualTo(snapshot(store));
    }
  }

  /**
   * While a 5-minute bucket is open its minutes go to it alone, and it is added to the 10-minute and hourly
   * roll-ups when it closes. Checked against roll-ups recomputed from the stored minutes, while buckets close
   * between batches, minutes arrive late into open and closed buckets, trace and mesh minutes replace each other,
   * retention cuts through an hour, memory runs short and the process stops: closed buckets as written, and every
   * bucket.
   */
  @Test
  void rollUpsFoldedFromFiveMinuteBucketsEqualRollUpsRecomputedFromTheMinutes() throws Exception {
    Random random = new Random(31);
    for (int run = 0; run < 6; run++) {
      Path runDir = dir.resolve("run" + run);
      RocksTopologyStore store = RocksTopologyStore.open(runDir);
      try {
        int newest = 0;
        for (int round = 0; round < 60; round++) {
          if (run == 5 && round == 30) {
            // The process stops: what was summed in memory only (open and unfolded buckets) is rebuilt on open.
            store.close();
            store = RocksTopologyStore.open(runDir);
          }
          StoreBatch b = new StoreBatch();
          newest += random.nextInt(4);
          for (int i = 0; i < 1 + random.nextInt(12); i++) {
            // Mostly the newest minutes, some late ones: into open buckets and into closed ones.
            int minute = random.nextInt(4) == 0 ? random.nextInt(newest + 1) : Math.max(0, newest - random.nextInt(3));
            NodeRef server = random.nextBoolean() ? B : C;
            TelemetrySource source = random.nextInt(3) == 0 ? MESH : TRACE;
            int requests = 1 + random.nextInt(50);
            b.edge("a->" + server.getName(), edge(A, server, source, T0 + minute * MINUTE, requests, random.nextInt(requests),
                0.001 * (1 + random.nextInt(90))));
          }
          store.write(b);
          if (random.nextInt(5) == 0) {
            store.completeRollups();
          }
          if (run % 2 == 1 && round == 40) {
            store.deleteOlderThan(T0 + (newest / 2) * MINUTE);
          }
          if (run == 4 && round == 20) {
            store.writeOpenRollups();
          }
        }
        store.completeRollups();
        long complete = store.rollupsCompleteUntil();
        Map<String, String> closedAsWritten = snapshot(store, false, complete);
        Map<String, String> incremental = snapshot(store, true, Long.MAX_VALUE);
        store.rebuildRollups(0, Long.MAX_VALUE);
        assertThat(closedAsWritten).isNotEmpty().isEqualTo(snapshot(store, false, complete));
        assertThat(incremental).isNotEmpty().isEqualTo(snapshot(store, true, Long.MAX_VALUE));
      } finally {
        store.close();
      }
    }
  }

  @Test
  void aFoldedRollUpCarriesTheHeaderOfTheMinuteAppliedLast() {
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      StoreBatch b = new StoreBatch();
      for (int i = 0; i < 12; i++) {
        b.edge("a->b", edge(version(A, "v" + i), B, MESH, T0 + i * MINUTE, 1, 0, 0.01));
      }
      store.write(b);
      // A late minute of the first, still open, 5-minute bucket: applied last, so its header is the roll-ups'.
      store.write(new StoreBatch().edge("a->b", edge(version(A, "late"), B, MESH, T0 + 2 * MINUTE, 3, 0, 0.01)));
      store.completeRollups();
      assertThat(rollups(store, Resolution.TEN_MINUTES)).extracting(e -> e.getClient().getVersion())
          .containsExactly("late", "v11");
      assertThat(rollups(store, Resolution.HOUR)).extracting(e -> e.getClient().getVersion()).containsExactly("late");
      assertThat(rollups(store, Resolution.FIVE_MINUTES)).extracting(e -> e.getClient().getVersion())
          .containsExactly("late", "v9", "v11");
    }
  }

  private static NodeRef version(NodeRef node, String version) {
    return node.toBuilder().setVersion(version).build();
  }

  @Test
  void retentionKeepsRollUpsEqualToTheMinutesThatStay() {
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      StoreBatch b = new StoreBatch();
      for (int i = 0; i < 90; i++) {
        b.edge("a->b", edge(A, B, MESH, T0 + i * MINUTE, 1, 0, 0.01));
      }
      store.write(b);

      store.deleteOlderThan(T0 + 67 * MINUTE);

      assertThat(requests(store, Resolution.HOUR)).containsExactly(23.0);
      assertThat(requests(store, Resolution.THIRTY_MINUTES)).containsExactly(23.0);
      assertThat(requests(store, Resolution.TEN_MINUTES)).containsExactly(3.0, 10.0, 10.0);
      assertThat(requests(store, Resolution.FIVE_MINUTES)).containsExactly(3.0, 5.0, 5.0, 5.0, 5.0);
      // And later writes into the recomputed bucket add to what stayed.
      store.write(new StoreBatch().edge("a->b", edge(A, B, MESH, T0 + 90 * MINUTE, 5, 0, 0.01)));
      assertThat(requests(store, Resolution.HOUR)).containsExactly(28.0);
    }
  }

  @Test
  void openBucketsAreWrittenWhenTheyCloseAndLateMinutesUpdateWrittenRollUpsAtOnce() {
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      StoreBatch b = new StoreBatch();
      for (int i = 0; i < 10; i++) {
        b.edge("a->b", edge(A, B, MESH, T0 + i * MINUTE, 10, 1, 0.01));
      }
      store.write(b);
      // The newest window ends at +10 min: buckets ending two minutes before that are complete.
      assertThat(store.rollupsCompleteUntil()).isEqualTo(T0 + 8 * MINUTE);
      assertThat(stored(store, Resolution.FIVE_MINUTES)).containsExactly(50.0);
      assertThat(stored(store, Resolution.TEN_MINUTES)).isEmpty();
      assertThat(stored(store, Resolution.HOUR)).isEmpty();

      store.completeRollups();
      assertThat(store.rollupsCompleteUntil()).isEqualTo(T0 + 10 * MINUTE);
      assertThat(stored(store, Resolution.FIVE_MINUTES)).containsExactly(50.0, 50.0);
      assertThat(stored(store, Resolution.TEN_MINUTES)).containsExactly(100.0);
      assertThat(stored(store, Resolution.HOUR)).isEmpty();

      // A re-emitted minute of closed buckets rewrites them in its own batch.
      store.write(new StoreBatch().edge("a->b", edge(A, B, MESH, T0 + 2 * MINUTE, 25, 4, 0.01)));
      assertThat(stored(store, Resolution.FIVE_MINUTES)).containsExactly(65.0, 50.0);
      assertThat(stored(store, Resolution.TEN_MINUTES)).containsExactly(115.0);
      assertThat(requests(store, Resolution.HOUR)).containsExactly(115.0);
    }
  }

  @Test
  void openRollUpsLostWithTheProcessAreRebuiltFromTheMinutesOnOpen() throws Exception {
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      StoreBatch b = new StoreBatch();
      for (int i = 0; i < 14; i++) {
        b.edge("a->b", edge(A, B, TRACE, T0 + i * MINUTE, 10, 0, 0.01));
      }
      store.write(b);
      // Partial open roll-ups in the store (as when memory runs short), then changes that stay in memory:
      // a mesh minute replaces a trace one, another trace minute arrives.
      store.writeOpenRollups();
      store.write(new StoreBatch().edge("a->b", edge(A, B, MESH, T0 + 12 * MINUTE, 7, 0, 0.01))
          .edge("a->b", edge(A, B, TRACE, T0 + 14 * MINUTE, 3, 0, 0.01)));
    } // closing does not write open roll-ups: as after a crash, only the minutes know them
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      store.completeRollups();
      assertThat(stored(store, Resolution.TEN_MINUTES)).containsExactly(100.0);
      Map<String, String> reopened = snapshot(store);
      store.rebuildRollups(0, Long.MAX_VALUE);
      assertThat(reopened).isEqualTo(snapshot(store));
      assertThat(rollups(store, Resolution.HOUR)).extracting(EdgeAggregate::getSource, EdgeAggregate::getRequestCount)
          .containsExactly(org.assertj.core.groups.Tuple.tuple(TRACE, 133.0), org.assertj.core.groups.Tuple.tuple(MESH, 7.0));
    }
  }

  @Test
  void aStoreWrittenBeforeTheThirtyMinuteLevelGetsItsRollUpsRebuiltOnOpen() throws Exception {
    Random random = new Random(11);
    Map<String, String> expected;
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      StoreBatch b = new StoreBatch();
      for (int i = 0; i < 200; i++) {
        int requests = 1 + random.nextInt(40);
        b.edge("a->b", edge(A, B, random.nextBoolean() ? MESH : TRACE, T0 + random.nextInt(100) * MINUTE, requests,
            random.nextInt(requests), 0.001 * (1 + random.nextInt(90))));
      }
      store.write(b);
      store.completeRollups();
      expected = snapshot(store);
    }
    assertThat(expected.keySet()).anyMatch(k -> k.startsWith(Resolution.THIRTY_MINUTES.name()));
    // What the previous build left: no 30-minute roll-ups, and the layout mark it wrote.
    try (org.rocksdb.Options options = new org.rocksdb.Options();
        org.rocksdb.RocksDB db = org.rocksdb.RocksDB.open(options, dir.toString())) {
      db.deleteRange(new byte[] {Resolution.THIRTY_MINUTES.prefix}, new byte[] {(byte) (Resolution.THIRTY_MINUTES.prefix + 1)});
      db.put(new byte[] {'m', 'r'}, new byte[] {1});
    }
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      assertThat(snapshot(store)).isEqualTo(expected);
    }
    // Marked with the current layout now: the next open rebuilds nothing (a stale roll-up would stay).
    try (org.rocksdb.Options options = new org.rocksdb.Options();
        org.rocksdb.RocksDB db = org.rocksdb.RocksDB.open(options, dir.toString())) {
      assertThat(db.get(new byte[] {'m', 'r'})).containsExactly(RocksTopologyStore.ROLLUP_LAYOUT);
      db.deleteRange(new byte[] {Resolution.THIRTY_MINUTES.prefix}, new byte[] {(byte) (Resolution.THIRTY_MINUTES.prefix + 1)});
    }
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      // Only the open bucket (minutes 90-99) is rebuilt, as on every open.
      assertThat(snapshot(store).keySet().stream().filter(k -> k.startsWith(Resolution.THIRTY_MINUTES.name())).count())
          .isLessThan(expected.keySet().stream().filter(k -> k.startsWith(Resolution.THIRTY_MINUTES.name())).count());
    }
  }

  @Test
  void rollUpsOfTheLayoutBeforeQueueLatencyAreRebuiltWithItOnOpen() throws Exception {
    Map<String, String> expected;
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      StoreBatch b = new StoreBatch();
      for (int i = 0; i < 90; i++) {
        b.edge("a->b", queued(edge(A, B, TRACE, T0 + i * MINUTE, 5, 0, 0.01), 5, 0.5 + i % 7));
      }
      store.write(b);
      store.completeRollups();
      store.writeOpenRollups();
      expected = snapshot(store);
    }
    // What the previous build left: roll-ups without the queue latency its minutes had, marked layout 2.
    int stripped = 0;
    try (org.rocksdb.Options options = new org.rocksdb.Options();
        org.rocksdb.RocksDB db = org.rocksdb.RocksDB.open(options, dir.toString())) {
      for (Resolution r : Resolution.values()) {
        try (org.rocksdb.RocksIterator it = db.newIterator()) {
          for (it.seek(new byte[] {r.prefix}); it.isValid() && it.key()[0] == r.prefix; it.next()) {
            db.put(it.key(), EdgeAggregate.parseFrom(it.value()).toBuilder().clearMessagingLatency().build().toByteArray());
            stripped++;
          }
        }
      }
      db.put(new byte[] {'m', 'r'}, new byte[] {2});
    }
    assertThat(stripped).isGreaterThan(10);
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      assertThat(snapshot(store)).isEqualTo(expected);
      assertThat(rollups(store, Resolution.HOUR).get(0).getMessagingLatency().getCount()).isEqualTo(300.0);
    }
  }

  /** The roll-ups the store holds, without writing the open ones first. */
  private static List<Double> stored(RocksTopologyStore store, Resolution r) {
    List<Double> out = new ArrayList<>();
    store.scanEdgeLent(r, 0, Long.MAX_VALUE, (k, kl, v, vl) -> out.add(EdgeSums.decode(java.util.Arrays.copyOf(v, vl)).requests));
    return out;
  }

  private static List<Double> requests(RocksTopologyStore store, Resolution r) {
    return rollups(store, r).stream().map(EdgeAggregate::getRequestCount).toList();
  }

  /** The roll-ups of every bucket as they stand, the open ones (not written until they close) included. */
  private static List<EdgeAggregate> rollups(RocksTopologyStore store, Resolution r) {
    store.writeOpenRollups();
    List<EdgeAggregate> out = new ArrayList<>();
    store.scanEdgeLent(r, 0, Long.MAX_VALUE, (k, kl, v, vl) -> {
      try {
        out.add(EdgeAggregate.parser().parseFrom(v, 0, vl));
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new AssertionError(e);
      }
    });
    return out;
  }

  private static String rounded(double[] values) {
    StringBuilder b = new StringBuilder();
    for (double v : values) {
      b.append(String.format(java.util.Locale.ROOT, "%.6f ", v));
    }
    return b.toString();
  }

  /** The queue latency rounded; none and all zero (a messaging minute replaced by another) are alike. */
  private static String queue(EdgeSums s) {
    double[] q = s.messaging();
    return q == null || rounded(q).equals(rounded(new double[q.length])) ? "-" : rounded(q);
  }

  /** Every roll-up record, decoded to its figures, by resolution and key. */
  private static Map<String, String> snapshot(RocksTopologyStore store) {
    return snapshot(store, true, Long.MAX_VALUE);
  }

  /**
   * The roll-up records of buckets ending by {@code endingBy}, decoded to their figures (response codes
   * included), by resolution and key; {@code open}: the open ones written first.
   */
  private static Map<String, String> snapshot(RocksTopologyStore store, boolean open, long endingBy) {
    if (open) {
      store.writeOpenRollups();
    }
    Map<String, String> out = new TreeMap<>();
    for (Resolution r : Resolution.values()) {
      store.scanEdgeLent(r, 0, Long.MAX_VALUE, (k, kl, v, vl) -> {
        EdgeSums s = EdgeSums.decode(java.util.Arrays.copyOf(v, vl));
        if (s.windowEnd > endingBy) {
          return;
        }
        Map<String, String> codes = new TreeMap<>();
        for (int i = 0; i < s.responses.count(); i++) {
          codes.put(s.responses.code(i), String.format(java.util.Locale.ROOT, "%.6f", s.responses.value(i)));
        }
        // Sums of seconds are added and subtracted in another order than recomputed: compare them rounded.
        out.put(r + " " + new String(k, 0, kl, StandardCharsets.ISO_8859_1), s.minutes + " " + s.requests + " " + s.failed + " "
            + rounded(s.server) + " " + rounded(s.client) + " " + queue(s) + " " + s.windowStart + " " + s.windowEnd + " " + s.source + " " + codes
            + " " + exact(s));
      });
    }
    return out;
  }

  /** Exact codes and bytes; a roll-up whose mesh minutes were all replaced keeps zero entries, like no entries. */
  private static String exact(EdgeSums s) {
    Map<String, String> codes = new TreeMap<>();
    for (int i = 0; i < s.exactCodes.count(); i++) {
      if (s.exactCodes.value(i) != 0) {
        codes.put(s.exactCodes.code(i), String.format(java.util.Locale.ROOT, "%.6f", s.exactCodes.value(i)));
      }
    }
    return codes + String.format(java.util.Locale.ROOT, " %.6f %.6f", s.sentBytes, s.receivedBytes);
  }
}
