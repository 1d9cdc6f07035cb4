package io.switchyard.topology.store;

import static io.switchyard.topology.Fixtures.MINUTE;
import static io.switchyard.topology.Fixtures.T0;
import static io.switchyard.topology.Fixtures.edge;
import static io.switchyard.topology.Fixtures.service;
import static io.switchyard.topology.Fixtures.serviceWindow;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.model.v1.AlertState;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.ServiceAggregate;
import io.switchyard.model.v1.SloAlertRecord;
import io.switchyard.model.v1.SloStatusRecord;
import io.switchyard.model.v1.TelemetrySource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RocksTopologyStoreTest {
  private static final NodeRef A = service("a", "shop");
  private static final NodeRef B = service("b", "shop");
  private static final TelemetrySource MESH = TelemetrySource.TELEMETRY_SOURCE_MESH;
  private static final TelemetrySource TRACE = TelemetrySource.TELEMETRY_SOURCE_TRACE;

  @TempDir Path dir;

  @Test
  void reEmittedWindowReplacesTheEarlierOneAndTotalsFollowByDelta() {
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      store.write(new StoreBatch().edge("a->b", edge(A, B, MESH, T0, 100, 5, 0.01)));
      store.write(new StoreBatch().edge("a->b", edge(A, B, MESH, T0 + MINUTE, 60, 0, 0.01)));
      // Late data: the first window is re-emitted with more requests.
      store.write(new StoreBatch().edge("a->b", edge(A, B, MESH, T0, 130, 7, 0.01)));

      List<EdgeAggregate> windows = new ArrayList<>();
      store.scanEdges(T0, T0 + 2 * MINUTE, windows::add);
      assertThat(windows).extracting(EdgeAggregate::getRequestCount).containsExactly(130.0, 60.0);

      List<EdgeAggregate> totals = new ArrayList<>();
      store.scanEdgeTotals(totals::add);
      assertThat(totals).singleElement().satisfies(t -> {
        assertThat(t.getRequestCount()).isEqualTo(190.0);
        assertThat(t.getFailedCount()).isEqualTo(7.0);
        assertThat(t.getServerLatency().getCount()).isEqualTo(190.0);
        assertThat(t.getWindowStartUnixMs()).isEqualTo(T0);
        assertThat(t.getWindowEndUnixMs()).isEqualTo(T0 + 2 * MINUTE);
      });
    }
  }

  @Test
  void overwriteInsideOneBatchIsAlsoCountedOnce() {
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      store.write(new StoreBatch()
          .service("a", serviceWindow(A, MESH, T0, 10, 1, 0.02))
          .service("a", serviceWindow(A, MESH, T0, 12, 1, 0.02)));
      List<ServiceAggregate> totals = new ArrayList<>();
      store.scanServiceTotals(totals::add);
      assertThat(totals).singleElement().extracting(ServiceAggregate::getRequestCount).isEqualTo(12.0);
    }
  }

  @Test
  void meshAndTraceRecordsOfOneHopAreKeptApart() {
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      store.write(new StoreBatch()
          .edge("a->b", edge(A, B, TRACE, T0, 40, 0, 0.01))
          .edge("a->b", edge(A, B, MESH, T0, 100, 0, 0.01)));
      List<EdgeAggregate> windows = new ArrayList<>();
      store.scanEdges(T0, T0 + MINUTE, windows::add);
      assertThat(windows).extracting(EdgeAggregate::getSource).containsExactly(TRACE, MESH);
    }
  }

  @Test
  void scanReturnsOnlyWindowsStartingInsideTheRange() {
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      StoreBatch b = new StoreBatch();
      for (int i = 0; i < 5; i++) {
        b.edge("a->b", edge(A, B, MESH, T0 + i * MINUTE, i + 1, 0, 0.01));
      }
      store.write(b);
      List<EdgeAggregate> windows = new ArrayList<>();
      store.scanEdges(T0 + MINUTE, T0 + 3 * MINUTE, windows::add);
      assertThat(windows).extracting(EdgeAggregate::getRequestCount).containsExactly(2.0, 3.0);
    }
  }

  @Test
  void offsetsAndFreshnessSurviveReopening() {
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      store.write(new StoreBatch().edge("a->b", edge(A, B, MESH, T0, 1, 0, 0.01)).offset("edges", 2, 42));
    }
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      assertThat(store.offsets()).containsEntry("edges#2", 42L);
      assertThat(store.freshness().newestWindowEndMs()).isEqualTo(T0 + MINUTE);
      assertThat(store.freshness().windowMillis()).isEqualTo(MINUTE);
    }
  }

  @Test
  void retentionRemovesOldWindowsAndAlertsButKeepsTotals() {
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      store.write(new StoreBatch()
          .edge("a->b", edge(A, B, MESH, T0, 10, 0, 0.01))
          .edge("a->b", edge(A, B, MESH, T0 + 10 * MINUTE, 20, 0, 0.01))
          .sloAlert(alert("a-availability", "page-1h", T0))
          .sloAlert(alert("a-availability", "page-1h", T0 + 10 * MINUTE)));

      store.deleteOlderThan(T0 + 5 * MINUTE);

      List<EdgeAggregate> windows = new ArrayList<>();
      store.scanEdges(0, Long.MAX_VALUE, windows::add);
      assertThat(windows).extracting(EdgeAggregate::getRequestCount).containsExactly(20.0);
      assertThat(store.sloAlerts("a-availability")).extracting(SloAlertRecord::getTransitionUnixMs)
          .containsExactly(T0 + 10 * MINUTE);
      List<EdgeAggregate> totals = new ArrayList<>();
      store.scanEdgeTotals(totals::add);
      assertThat(totals).singleElement().extracting(EdgeAggregate::getRequestCount).isEqualTo(30.0);
    }
  }

  @Test
  void sloStatusIsReplacedAndRemovedByTombstone() {
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      store.write(new StoreBatch().sloStatus("x", SloStatusRecord.newBuilder().setName("x").setSli(0.99).build()));
      store.write(new StoreBatch().sloStatus("x", SloStatusRecord.newBuilder().setName("x").setSli(0.98).build())
          .sloStatus("y", SloStatusRecord.newBuilder().setName("y").build()));
      assertThat(store.sloStatus("x")).get().extracting(SloStatusRecord::getSli).isEqualTo(0.98);
      store.write(new StoreBatch().sloDeleted("x"));
      assertThat(store.sloStatuses()).extracting(SloStatusRecord::getName).containsExactly("y");
    }
  }

  @Test
  void anSloRemovedAndAppliedAgainInOneBatchStays() {
    // A replica catching up reads a status, its tombstone and the status of the SLO applied again in one poll.
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      store.write(new StoreBatch()
          .sloStatus("x", SloStatusRecord.newBuilder().setName("x").setSli(0.99).build())
          .sloStatus("y", SloStatusRecord.newBuilder().setName("y").build())
          .sloDeleted("x")
          .sloDeleted("y")
          .sloStatus("x", SloStatusRecord.newBuilder().setName("x").setSli(0.5).build()));
      assertThat(store.sloStatuses()).extracting(SloStatusRecord::getName).containsExactly("x");
      assertThat(store.sloStatus("x")).get().extracting(SloStatusRecord::getSli).isEqualTo(0.5);
    }
  }

  @Test
  void alertsOfOneSloDoNotLeakIntoAnotherWithACommonPrefix() {
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      store.write(new StoreBatch().sloAlert(alert("api", "page-1h", T0)).sloAlert(alert("api-latency", "page-1h", T0)));
      assertThat(store.sloAlerts("api")).extracting(SloAlertRecord::getSlo).containsExactly("api");
    }
  }

  private static SloAlertRecord alert(String slo, String name, long at) {
    return SloAlertRecord.newBuilder().setSlo(slo).setTransitionUnixMs(at)
        .setAlert(AlertState.newBuilder().setName(name).setSeverity("page").setFiring(true)).build();
  }
}
