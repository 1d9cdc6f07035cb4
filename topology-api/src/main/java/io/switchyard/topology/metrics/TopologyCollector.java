package io.switchyard.topology.metrics;

import io.switchyard.model.LatencyBuckets;
import io.switchyard.model.v1.AlertState;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.LatencyHistogram;
import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.ServiceAggregate;
import io.switchyard.model.v1.SloStatusRecord;
import io.switchyard.model.v1.TelemetrySource;
import io.switchyard.topology.query.BadParameterException;
import io.switchyard.topology.query.MeshRule;
import io.switchyard.topology.query.TimeParams;
import io.switchyard.topology.query.TopologyQueries;
import io.switchyard.topology.store.TopologyStore;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.stream.IntStream;

/**
 * The materialised data as Prometheus series, computed from the store's cumulative totals at each scrape:
 * the Tempo service-graph series Grafana reads, per-service RED series and SLO gauges. Counters are the
 * totals of every window consumed (re-emitted windows replace, never add), so every replica that consumed
 * the same topics exposes the same values. Where a hop has access-log totals, those are exposed and trace
 * totals are not; series beyond {@code maxSeries} edges or services are left out and counted.
 */
public final class TopologyCollector implements MultiCollector {
  /**
   * Every fourth shared bucket bound (0.1 ms x 4^k up to ~105 s): cumulative counts at a shared bound are
   * exact, and 12 buckets per edge keep the series count proportional to the edge count.
   */
  static final BucketLayout EXPOSED = new BucketLayout(new int[] {0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40});
  /**
   * Server-side latency shows every shared bound: a latency SLO's threshold is one of them, and its
   * {@code slo rules} read {@code le} there. A bound that appeared only once an SLO was applied would be a series
   * born with the hop's whole history, which {@code rate} over a window older than the series understates.
   */
  static final BucketLayout SERVER = new BucketLayout(IntStream.range(0, LatencyBuckets.FINITE).toArray());

  private final TopologyStore store;
  private final int maxSeries;
  private final LongSupplier consumerLag;
  private final LongSupplier clock;

  public TopologyCollector(TopologyStore store, int maxSeries, LongSupplier consumerLag, LongSupplier clockMillis) {
    this.store = store;
    this.maxSeries = maxSeries;
    this.consumerLag = consumerLag;
    this.clock = clockMillis;
  }

  @Override
  public MetricSnapshots collect() {
    // Per hop the access-log figure where a hop has both sources. Each hop is its own series: the namespaces are
    // labels (Tempo's service.namespace dimension), so an SLO of one namespace selects only its hops.
    Map<String, EdgeAggregate> hops = new LinkedHashMap<>();
    List<EdgeAggregate> intoVirtual = new ArrayList<>();
    store.scanEdgeTotals(e -> {
      hops.merge(hopId(e), e, TopologyCollector::preferMesh);
      if (e.getServer().getKind() == NodeRef.NodeKind.NODE_KIND_VIRTUAL) {
        intoVirtual.add(e);
      }
    });
    // The graphs' MeshRule over the totals: a server with access-log totals exposes none of the traced hops into it
    // (virtual peers by the service their name resolves to, a namespace-less service by its one logged twin), so its
    // series stop where its access logs start.
    Set<String> meshed = new HashSet<>();
    MeshRule.Twins twins = new MeshRule.Twins();
    hops.values().forEach(e -> {
      if (e.getSource() == TelemetrySource.TELEMETRY_SOURCE_MESH) {
        twins.logged(e.getClient());
        twins.logged(e.getServer());
        if (MeshRule.isMeshServer(e.getServer())) {
          meshed.add(MeshRule.serverOf(e.getClient(), e.getServer()));
        }
      }
    });
    hops.values().removeIf(e -> e.getSource() == TelemetrySource.TELEMETRY_SOURCE_TRACE
        && meshed.contains(MeshRule.serverOf(e.getClient(), e.getServer(), twins)));
    Map<String, ServiceAggregate> services = new LinkedHashMap<>();
    store.scanServiceTotals(s -> services.merge(s.getService().getNamespace() + "/" + s.getService().getName(), s,
        (a, b) -> a.getSource() == TelemetrySource.TELEMETRY_SOURCE_MESH ? a : b));
    // As /api/v1/services lists them: a virtual peer or namespace-less service whose requests a meshed service's
    // sidecar logs is left out (sum(rate(switchyard_service_requests_total)) would count them twice), the others
    // carry their kind.
    MeshRule.ServiceList listed = new MeshRule.ServiceList();
    services.forEach((key, s) -> listed.add(key, s.getService(), s.getSource() == TelemetrySource.TELEMETRY_SOURCE_MESH));
    services.keySet().removeAll(listed.standIns(intoVirtual::forEach, twins));

    CounterSnapshot.Builder requests = CounterSnapshot.builder().name("traces_service_graph_request")
        .help("Requests between two nodes (Tempo service-graph series, from materialised aggregates)");
    CounterSnapshot.Builder failed = CounterSnapshot.builder().name("traces_service_graph_request_failed")
        .help("Failed requests between two nodes");
    HistogramSnapshot.Builder server = HistogramSnapshot.builder().name("traces_service_graph_request_server_seconds")
        .help("Server-side request latency between two nodes");
    HistogramSnapshot.Builder client = HistogramSnapshot.builder().name("traces_service_graph_request_client_seconds")
        .help("Client-side request latency between two nodes");
    // Tempo's name for the queue latency of messaging edges; only edges that observed one have a series.
    HistogramSnapshot.Builder queue = HistogramSnapshot.builder()
        .name("traces_service_graph_request_messaging_system_seconds")
        .help("Time messages waited between the producer's end and the consumer's start (messaging edges)");
    int edgeCount = 0;
    long droppedEdges = 0;
    for (EdgeAggregate e : hops.values()) {
      if (edgeCount >= maxSeries) {
        droppedEdges++;
        continue;
      }
      edgeCount++;
      Labels labels = Labels.of("client", e.getClient().getName(), "client_service_namespace", e.getClient().getNamespace(),
          "connection_type", e.getConnectionType(), "server", e.getServer().getName(),
          "server_service_namespace", e.getServer().getNamespace());
      requests.dataPoint(CounterDataPointSnapshot.builder().labels(labels).value(e.getRequestCount()).build());
      failed.dataPoint(CounterDataPointSnapshot.builder().labels(labels).value(e.getFailedCount()).build());
      server.dataPoint(histogram(labels, judgedLatency(e), SERVER));
      client.dataPoint(histogram(labels, e.getClientLatency(), EXPOSED));
      if (e.getMessagingLatency().getBucketCountsCount() == LatencyBuckets.COUNT) {
        queue.dataPoint(histogram(labels, e.getMessagingLatency(), EXPOSED));
      }
    }

    CounterSnapshot.Builder svcRequests = CounterSnapshot.builder().name("switchyard_service_requests")
        .help("Requests served by a service");
    CounterSnapshot.Builder svcFailed = CounterSnapshot.builder().name("switchyard_service_requests_failed")
        .help("Failed requests served by a service");
    HistogramSnapshot.Builder svcLatency = HistogramSnapshot.builder().name("switchyard_service_request_duration_seconds")
        .help("Latency of requests served by a service");
    int serviceCount = 0;
    long droppedServices = 0;
    for (ServiceAggregate s : services.values()) {
      if (serviceCount >= maxSeries) {
        droppedServices++;
        continue;
      }
      serviceCount++;
      Labels labels = Labels.of("kind", TopologyQueries.kindName(s.getService().getKind()), "namespace", s.getService().getNamespace(),
          "service", s.getService().getName());
      svcRequests.dataPoint(CounterDataPointSnapshot.builder().labels(labels).value(s.getRequestCount()).build());
      svcFailed.dataPoint(CounterDataPointSnapshot.builder().labels(labels).value(s.getFailedCount()).build());
      svcLatency.dataPoint(histogram(labels, s.getLatency(), EXPOSED));
    }

    GaugeSnapshot.Builder sli = gauge("switchyard_slo_sli", "Service level indicator over the SLO window (good / total)");
    GaugeSnapshot.Builder objective = gauge("switchyard_slo_objective", "SLO objective as a ratio");
    GaugeSnapshot.Builder budget = gauge("switchyard_slo_error_budget_remaining",
        "Error budget left over the SLO window: 1 untouched, 0 spent, negative overspent");
    GaugeSnapshot.Builder burn = gauge("switchyard_slo_burn_rate", "Error-budget burn rate over a window");
    GaugeSnapshot.Builder alert = gauge("switchyard_slo_alert_firing", "1 while a burn-rate alert fires");
    GaugeSnapshot.Builder alertBurn = gauge("switchyard_slo_alert_burn_rate",
        "Burn rate over a burn-rate alert's long and short windows (they scale with the SLO window)");
    GaugeSnapshot.Builder alertThreshold = gauge("switchyard_slo_alert_threshold", "Burn rate above which an alert fires");
    // Timeslices and RatioTimeslices SLOs only: their SLI divides these, not requests (OpenSLO budgetingMethod).
    GaugeSnapshot.Builder goodSlices = gauge("switchyard_slo_good_slices",
        "Timeslices SLOs: slices of the SLO window that met the slice target (a slice without events is good); "
            + "RatioTimeslices SLOs: the sum of the slices' good/total ratios (a slice without events counts 1)");
    GaugeSnapshot.Builder totalSlices = gauge("switchyard_slo_total_slices", "(Ratio)Timeslices SLOs: slices in the SLO window");
    GaugeSnapshot.Builder sliceWindow = gauge("switchyard_slo_time_slice_window_seconds", "(Ratio)Timeslices SLOs: length of one slice");
    for (SloStatusRecord s : store.sloStatuses()) {
      Labels l = Labels.of("service", s.getService(), "slo", s.getName());
      if ("Timeslices".equals(s.getBudgetingMethod()) || "RatioTimeslices".equals(s.getBudgetingMethod())) {
        goodSlices.dataPoint(GaugeDataPointSnapshot.builder().labels(l).value(s.getGoodSlices()).build());
        totalSlices.dataPoint(GaugeDataPointSnapshot.builder().labels(l).value(s.getTotalSlices()).build());
        Long sliceMs = sliceMillis(s.getTimeSliceWindow());
        if (sliceMs != null) {
          sliceWindow.dataPoint(GaugeDataPointSnapshot.builder().labels(l).value(sliceMs / 1000.0).build());
        }
      }
      sli.dataPoint(GaugeDataPointSnapshot.builder().labels(l).value(s.getSli()).build());
      objective.dataPoint(GaugeDataPointSnapshot.builder().labels(l).value(s.getObjective()).build());
      budget.dataPoint(GaugeDataPointSnapshot.builder().labels(l).value(s.getErrorBudgetRemaining()).build());
      for (SloStatusRecord.BurnRate b : s.getBurnRatesList()) {
        burn.dataPoint(GaugeDataPointSnapshot.builder().labels(l.add("window", b.getWindow())).value(b.getRate()).build());
      }
      for (AlertState a : s.getAlertsList()) {
        Labels al = Labels.of("alert", a.getName(), "service", s.getService(), "severity", a.getSeverity(), "slo", s.getName());
        alert.dataPoint(GaugeDataPointSnapshot.builder().labels(al).value(a.getFiring() ? 1 : 0).build());
        alertThreshold.dataPoint(GaugeDataPointSnapshot.builder().labels(al).value(a.getThreshold()).build());
        // Dashboards cannot name the windows: a 7-day SLO's page alert looks back 14m/1m, a 30-day one's 1h/5m.
        for (String w : new LinkedHashSet<>(List.of(a.getLongWindow(), a.getShortWindow()))) {
          for (SloStatusRecord.BurnRate b : s.getBurnRatesList()) {
            if (b.getWindow().equals(w)) {
              alertBurn.dataPoint(GaugeDataPointSnapshot.builder().labels(al.add("window", w)).value(b.getRate()).build());
            }
          }
        }
      }
    }

    TopologyStore.Freshness f = store.freshness();
    GaugeSnapshot.Builder newest = gauge("switchyard_topology_newest_window_end_seconds",
        "End of the newest materialised aggregate window (unix seconds)");
    newest.dataPoint(GaugeDataPointSnapshot.builder().value(f.newestWindowEndMs() / 1000.0).build());
    GaugeSnapshot.Builder lag = gauge("switchyard_topology_pipeline_lag_seconds",
        "How far the newest materialised window trails the clock");
    lag.dataPoint(GaugeDataPointSnapshot.builder()
        .value(f.hasData() ? Math.max(0, (clock.getAsLong() - f.newestWindowEndMs()) / 1000.0) : 0).build());
    GaugeSnapshot.Builder records = gauge("switchyard_topology_consumer_lag_records",
        "Aggregate records published but not yet materialised");
    records.dataPoint(GaugeDataPointSnapshot.builder().value(Math.max(0, consumerLag.getAsLong())).build());
    GaugeSnapshot.Builder dropped = gauge("switchyard_topology_series_dropped",
        "Edges or services left out of this exposition by the series cap");
    dropped.dataPoint(GaugeDataPointSnapshot.builder().labels(Labels.of("kind", "edge")).value(droppedEdges).build());
    dropped.dataPoint(GaugeDataPointSnapshot.builder().labels(Labels.of("kind", "service")).value(droppedServices).build());

    return MetricSnapshots.of(requests.build(), failed.build(), server.build(), client.build(), queue.build(), svcRequests.build(),
        svcFailed.build(), svcLatency.build(), sli.build(), objective.build(), budget.build(), burn.build(),
        alert.build(), alertBurn.build(), alertThreshold.build(), goodSlices.build(), totalSlices.build(), sliceWindow.build(),
        newest.build(), lag.build(), records.build(), dropped.build());
  }

  /** The slice length of a status record ("5m"), null when the record's text is not a duration. */
  private static Long sliceMillis(String window) {
    try {
      return TimeParams.durationMillis("timeSliceWindow", window);
    } catch (BadParameterException e) {
      return null;
    }
  }

  private static GaugeSnapshot.Builder gauge(String name, String help) {
    return GaugeSnapshot.builder().name(name).help(help);
  }

  /** The identity of a hop, and of its series: both names, both namespaces and the connection type. */
  private static String hopId(EdgeAggregate e) {
    return e.getClient().getNamespace() + "\u0000" + e.getServer().getNamespace() + "\u0000" + e.getClient().getName()
        + "\u0000" + e.getServer().getName() + "\u0000" + e.getConnectionType();
  }

  /**
   * The latency a latency SLO judges a hop by, as the SLO job does per window: the server's own measure, else what the
   * caller saw. A hop into an uninstrumented peer (an external API, a queue without consumers) never has a server span,
   * so its server-side series holds the caller-seen latency and the rules of {@code slo rules}, which read the server
   * histogram at the threshold's bound, agree with the job there; left empty it would be 0/0 and never alert.
   */
  static LatencyHistogram judgedLatency(EdgeAggregate e) {
    return e.hasServerLatency() && e.getServerLatency().getCount() > 0 ? e.getServerLatency() : e.getClientLatency();
  }

  private static EdgeAggregate preferMesh(EdgeAggregate a, EdgeAggregate b) {
    return a.getSource() == TelemetrySource.TELEMETRY_SOURCE_MESH ? a : b;
  }

  static HistogramDataPointSnapshot histogram(Labels labels, LatencyHistogram h, BucketLayout layout) {
    int[] exposed = layout.indices;
    long[] counts = new long[exposed.length + 1];
    double cumulative = 0;
    int next = 0;
    double previousCumulative = 0;
    if (h.getBucketCountsCount() == LatencyBuckets.COUNT) {
      for (int i = 0; i < LatencyBuckets.COUNT; i++) {
        cumulative += h.getBucketCounts(i);
        if (next < exposed.length && i == exposed[next]) {
          counts[next] = Math.round(cumulative - previousCumulative);
          previousCumulative = cumulative;
          next++;
        }
      }
      counts[exposed.length] = Math.round(cumulative - previousCumulative);
    }
    return HistogramDataPointSnapshot.builder()
        .labels(labels)
        .classicHistogramBuckets(ClassicHistogramBuckets.of(layout.upperBounds, counts))
        .sum(h.getSumSeconds())
        .build();
  }

  /** Which shared buckets a histogram series shows (ascending indices), and their bounds with +Inf last. */
  static final class BucketLayout {
    private final int[] indices;
    private final double[] upperBounds;

    BucketLayout(int[] indices) {
      this.indices = indices;
      this.upperBounds = new double[indices.length + 1];
      for (int i = 0; i < indices.length; i++) {
        upperBounds[i] = LatencyBuckets.upperBoundSeconds(indices[i]);
      }
      upperBounds[indices.length] = Double.POSITIVE_INFINITY;
    }
  }
}
