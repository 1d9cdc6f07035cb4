package io.switchyard.flinkjobs.job;

import io.switchyard.flinkjobs.aggregate.Aggregates;
import io.switchyard.flinkjobs.aggregate.EdgeTimestamps;
import io.switchyard.flinkjobs.aggregate.EdgeWindowing;
import io.switchyard.flinkjobs.aggregate.WindowPreAggregator;
import io.switchyard.flinkjobs.graph.EdgeEvent;
import io.switchyard.flinkjobs.graph.ServiceGraphOperator;
import io.switchyard.flinkjobs.graph.TraceBatcher;
import io.switchyard.flinkjobs.graph.TraceSpans;
import io.switchyard.flinkjobs.graph.TraceSpansTypeInfo;
import io.switchyard.flinkjobs.mesh.AccessLogPairing;
import io.switchyard.flinkjobs.mesh.AccessLogPairingOperator;
import io.switchyard.flinkjobs.mesh.CardinalityLimiter;
import io.switchyard.flinkjobs.metrics.FreshnessReporterFactory;
import io.switchyard.flinkjobs.serde.ProtoRecordDeserializer;
import io.switchyard.flinkjobs.serde.ProtoRecordSerializer;
import io.switchyard.flinkjobs.serde.ProtoTypeInfo;
import io.switchyard.flinkjobs.serde.RawSpanDeserializer;
import io.switchyard.flinkjobs.slo.SliSample;
import io.switchyard.flinkjobs.slo.SloDefinitionChange;
import io.switchyard.flinkjobs.slo.SloFunction;
import io.switchyard.model.Topics;
import io.switchyard.model.v1.AccessLogRecord;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.ServiceAggregate;
import io.switchyard.model.v1.SloAlertRecord;
import io.switchyard.model.v1.SloDefinitionRecord;
import io.switchyard.model.v1.SloStatusRecord;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.apache.flink.api.common.eventtime.SerializableTimestampAssigner;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * The whole Switchyard topology on one Flink job: spans -> service-graph pairing, access logs ->
 * mesh edges, both -> cardinality limit -> per-edge and per-service windows -> Kafka, and the
 * service/edge aggregates -> SLO evaluation -> status and alerts. Every stateful operator has a
 * stable uid so savepoints of one build restore in the next.
 */
public final class SwitchyardPipeline {
  private SwitchyardPipeline() {}

  /**
   * Flink settings of the local jar's MiniCluster: the job's own settings, plus its parallelism, its
   * data folder, a loopback REST endpoint and the Prometheus reporter.
   */
  public static Configuration flinkConfiguration(JobOptions o) {
    Map<String, String> m = jobSettings(o);
    m.put("parallelism.default", Integer.toString(o.parallelism()));
    putDataDir(m, o);
    // The live RocksDB state, blobs and RPC jar under the data folder, not the JVM's temp folder: /tmp is often
    // RAM (tmpfs) with a size cap, and every stopped or killed child left 40-60 MB there that nothing reclaimed.
    m.put("io.tmp.dirs", o.workDir().toString());
    m.put("web.tmpdir", o.workDir().toString()); // the REST endpoint's files, which do not follow io.tmp.dirs
    // The local MiniCluster's REST endpoint: loopback only, never the default 8081 (ratelimit's port).
    m.put("rest.bind-address", "127.0.0.1");
    m.put("rest.address", "127.0.0.1");
    m.put("rest.bind-port", o.restPort() < 0 ? "0" : Integer.toString(o.restPort()));
    if (o.metricsPort() > 0) {
      // Local MiniCluster only: a cluster takes its reporters from its own Flink configuration.
      m.put("metrics.reporters", "prom");
      m.put("metrics.reporter.prom.factory.class", FreshnessReporterFactory.class.getName());
      m.put("metrics.reporter.prom.port", Integer.toString(o.metricsPort()));
    }
    return Configuration.fromMap(m);
  }

  /**
   * Flink settings of a {@code flink run} submission. Flink lays a job's settings over the client's
   * (its config.yaml and the command line), so any key set here silently beats {@code flink run -p N}
   * or {@code -m host:port}. Only what the job itself needs is set; the parallelism and the data folder
   * only when the job's command line names them, so that {@code -p N} and the cluster's checkpoint and
   * savepoint folders apply otherwise.
   */
  public static Configuration clusterConfiguration(JobOptions o) {
    Map<String, String> m = jobSettings(o);
    if (o.given("--parallelism")) {
      m.put("parallelism.default", Integer.toString(o.parallelism()));
    }
    if (o.given("--data-dir")) {
      putDataDir(m, o);
    }
    return Configuration.fromMap(m);
  }

  private static void putDataDir(Map<String, String> m, JobOptions o) {
    m.put("execution.checkpointing.dir", o.checkpointDir().toUri().toString());
    m.put("execution.checkpointing.savepoint-dir", o.savepointDir().toUri().toString());
  }

  private static Map<String, String> jobSettings(JobOptions o) {
    Map<String, String> m = new HashMap<>();
    m.put("pipeline.name", "switchyard" + (o.topicPrefix().isEmpty() ? "" : " (" + o.topicPrefix() + ")"));
    m.put("pipeline.generic-types", "false"); // no silent Kryo: every type has an explicit serializer
    // Chained operators hand records on without a defensive copy. Safe here because no operator
    // changes an input it passed on or keeps one its producer reuses: the limiter rewrites the edge
    // the pairing just made, the edge timestamps only read it, the pre-aggregators read it and keep the
    // first edge of each partial until it is flushed (every edge is a new object: nothing upstream
    // reuses one), the span batcher
    // keeps source records the source never touches again, keyed state is in RocksDB (serialized on
    // write), and messages are immutable protos.
    m.put("pipeline.object-reuse", "true");
    m.put("state.backend.type", "rocksdb");
    // Timers stay in RocksDB. Heap timers were cheaper for the pairing, but with this backend's
    // incremental checkpoints they did not come back on restore: windows whose last element arrived
    // before the checkpoint never fired again (CheckpointRestoreIT lost a whole minute that way).
    m.put("state.backend.rocksdb.timer-service.factory", "ROCKSDB");
    // The pairing reads every new trace's state before it exists: without a Bloom filter each of those
    // misses searched every SST file's index. Only newly written SST files carry one, so snapshots of
    // earlier builds restore as they are.
    m.put("state.backend.rocksdb.use-bloom-filter", "true");
    // Timer writes go through a write batch that asked RocksDB for its byte size (a JNI call) after every
    // put; flushing on the item count alone (500) saves that call and bounds the batch just as well.
    m.put("state.backend.rocksdb.write-batch-size", "0");
    // RocksDB's background work is mostly the pairing state's: a flush into a new level-0 file per column
    // family at every checkpoint, and level-0 compactions that rewrite the whole of level 1 (trace-id keys
    // overlap everything). Level 0 is written uncompressed: Snappy on every flush was a large part of the
    // flush threads' CPU, and level 0 only ever holds the last few checkpoints' writes. Level 1 and below,
    // where the state itself lives, use LZ4 (cheaper than Snappy; waiting traces' span bytes shrink about
    // threefold, so leaving them raw tripled the state). Fewer level-0 compactions: see StateRocksDbOptions.
    // Every SST file names its own compression, so snapshots of earlier builds restore as they are.
    m.put("state.backend.rocksdb.compression.per.level", "NO_COMPRESSION;LZ4_COMPRESSION");
    m.put("state.backend.rocksdb.options-factory", StateRocksDbOptions.class.getName());
    m.put("execution.checkpointing.interval", o.checkpointInterval().toMillis() + " ms");
    m.put("execution.checkpointing.mode", "EXACTLY_ONCE");
    m.put("execution.checkpointing.storage", "filesystem");
    m.put("execution.checkpointing.incremental", "true");
    m.put("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
    m.put("execution.checkpointing.num-retained", "2");
    m.put("restart-strategy.type", "fixed-delay");
    m.put("restart-strategy.fixed-delay.attempts", Integer.toString(o.restartAttempts()));
    m.put("restart-strategy.fixed-delay.delay", "2 s");
    m.put("pipeline.auto-watermark-interval", "200 ms");
    if (!o.restoreFrom().isEmpty()) {
      m.put("execution.state-recovery.path", o.restoreFrom());
      m.put("execution.state-recovery.ignore-unclaimed-state", "false");
    }
    return m;
  }

  public static void build(StreamExecutionEnvironment env, JobOptions o) {
    build(env, o, edges -> edges);
  }

  /**
   * The topology with {@code beforeLimit} applied to the span-derived edges; only tests pass
   * anything but the identity (a failing operator, to exercise recovery within a running job).
   */
  static void build(StreamExecutionEnvironment env, JobOptions o, UnaryOperator<DataStream<EdgeEvent>> beforeLimit) {
    List<DataStream<EdgeEvent>> spanEdges = spanEdges(env, o);
    DataStream<EdgeEvent> meshEdges = meshEdges(env, o);

    // Each source's edges get their own limiter, chained behind the operator that makes them (the
    // pairing, the access-log mapping): a union in front of one shared limiter could not chain, and
    // every paired edge then crossed a network hop as a POJO. The branches (and the span lanes) meet
    // after the pre-aggregation, where a few partials per key and window remain.
    List<DataStream<EdgeEvent>> traceEdges = new ArrayList<>();
    for (int lane = 0; lane < spanEdges.size(); lane++) {
      traceEdges.add(limited(beforeLimit.apply(spanEdges.get(lane)), o, "", lanePrefix(lane, lanes(o))));
    }
    DataStream<EdgeEvent> meshLimited = limited(meshEdges, o, "mesh-", "mesh-");

    SingleOutputStreamOperator<EdgeAggregate> edgeAggregates = edgeAggregates(traceEdges, meshLimited, o);
    SingleOutputStreamOperator<ServiceAggregate> serviceAggregates = serviceAggregates(traceEdges, meshLimited, o);

    edgeAggregates.sinkTo(sink(o, o.topic(Topics.EDGES), Aggregates::edgeKafkaKey, "edges")).uid("edges-sink").name("edges-sink");
    serviceAggregates.sinkTo(sink(o, o.topic(Topics.SERVICES), Aggregates::serviceKafkaKey, "services"))
        .uid("services-sink").name("services-sink");

    slo(env, o, serviceAggregates, edgeAggregates);
  }

  /**
   * Access logs -> edges, one per request: the two sidecars' reports of a request meet in keyed state
   * by request id ({@link AccessLogPairingOperator}). At one subtask the records are declared keyed as they
   * come (as the span path does), so the pairing runs chained behind the source with no shuffle.
   */
  static DataStream<EdgeEvent> meshEdges(StreamExecutionEnvironment env, JobOptions o) {
    DataStream<AccessLogRecord> logs = env
        .fromSource(source(o, o.topic(Topics.ACCESS_LOGS),
            new ProtoRecordDeserializer<>(AccessLogRecord.class), "access-logs"),
            eventTime((AccessLogRecord r, long t) -> r.getStartTimeUnixNano() / 1_000_000, o), "access-logs")
        .uid("access-logs-source");
    KeyedStream<AccessLogRecord, String> byRequest = env.getParallelism() == 1
        ? DataStreamUtils.reinterpretAsKeyedStream(logs, AccessLogPairing::key, Types.STRING)
        : logs.keyBy(AccessLogPairing::key, Types.STRING);
    return byRequest
        .transform("access-log-pairing", TypeInformation.of(EdgeEvent.class),
            new AccessLogPairingOperator(o.meshPairingWait(), o.meshDedupeMemory(), o.pairing().timeDomain()))
        .uid("access-log-pairing").name("access-log-pairing");
  }

  /** Traces one span-source subtask gathers before it hands their batches on early (about 1 KB each). */
  static final int TRACE_BATCH_TRACES = 10_000;
  /** Longest a span waits in the batcher when no watermark or barrier comes (a quiet stream). */
  static final long TRACE_BATCH_DELAY_MS = 200;

  /**
   * The span topic as the service-graph path reads it: the Kafka source, each record's head read by
   * {@link RawSpanDeserializer} into a one-span batch, event time from the span's end. Public so that
   * the benchmark's read-ceiling job (bench {@code FlinkServiceGraphBench}) can run this very source,
   * settings included, into a discarding sink: what Flink reaches on this topic before any of the
   * pairing's work.
   */
  public static SingleOutputStreamOperator<TraceSpans> spans(StreamExecutionEnvironment env, JobOptions o) {
    return spans(env, o, 0, 1);
  }

  /** The span source of one lane: the whole topic when there is one lane, else the lane's partitions. */
  private static SingleOutputStreamOperator<TraceSpans> spans(StreamExecutionEnvironment env, JobOptions o, int lane,
      int lanes) {
    String topic = o.topic(Topics.SPANS);
    KafkaSourceBuilder<TraceSpans> source = sourceBuilder(o, new RawSpanDeserializer(), laneUid("spans", lane, lanes));
    if (lanes == 1) {
      source.setTopics(topic);
    } else {
      source.setKafkaSubscriber(new LanePartitions(topic, lane, lanes));
    }
    return env
        .fromSource(source.build(), eventTime((TraceSpans s, long t) -> s.timestamp(), o), "spans")
        .uid(laneUid("spans-source", lane, lanes));
  }

  /** The topics the job's Kafka sources read: those whose positions a snapshot it resumes may hold. */
  static Set<String> inputTopics(JobOptions o) {
    return Set.of(o.topic(Topics.SPANS), o.topic(Topics.ACCESS_LOGS), o.topic(Topics.SLO_DEFINITIONS));
  }

  /**
   * The span lanes the job is built with: {@code --span-lanes auto} is resolved by the local jar before it
   * builds the job (the lanes of the snapshot it resumes, else by cores); anywhere else, e.g. on a cluster,
   * where {@code flink run -p N} is the way to scale, it means one lane.
   */
  static int lanes(JobOptions o) {
    return o.spanLanes() == JobOptions.AUTO_LANES ? 1 : o.spanLanes();
  }

  /**
   * The uid of a span-path operator in one lane (the lanes share the operators' names). One lane keeps
   * the uids of the builds before lanes, so their snapshots restore. With more, every lane's are its own
   * and name the lane count: a snapshot restores only into the same number of lanes, because each lane's
   * source remembers the offsets of its own partitions (restored into another split of the partitions, a
   * partition would be read twice or not at all) and each lane's pairing state holds the traces of its
   * own partitions.
   */
  static String laneUid(String base, int lane, int lanes) {
    return lanes == 1 ? base : base + "-" + laneName(lane, lanes);
  }

  /** What {@link #laneUid} adds, as a prefix of the uids {@link #limited} and {@link #partials} build. */
  private static String lanePrefix(int lane, int lanes) {
    return lanes == 1 ? "" : laneName(lane, lanes) + "-";
  }

  private static String laneName(int lane, int lanes) {
    return "lane-" + (lane + 1) + "-of-" + lanes;
  }

  /**
   * The span path's edges, one stream per span lane. A lane reads its own share of the span topic's
   * partitions ({@link LanePartitions}) and pairs their traces in a chain of its own: on a machine with
   * cores to spare, several lanes pair in parallel without the keyed shuffle a second subtask costs.
   */
  static List<DataStream<EdgeEvent>> spanEdges(StreamExecutionEnvironment env, JobOptions o) {
    if (lanes(o) > 1 && env.getParallelism() != 1) {
      throw new IllegalArgumentException("--span-lanes " + lanes(o) + " applies at parallelism 1 only, not "
          + env.getParallelism() + " (above 1, spans are shuffled by trace)");
    }
    List<DataStream<EdgeEvent>> lanes = new ArrayList<>();
    for (int lane = 0; lane < lanes(o); lane++) {
      lanes.add(spanEdges(env, o, lane));
    }
    return lanes;
  }

  private static DataStream<EdgeEvent> spanEdges(StreamExecutionEnvironment env, JobOptions o, int lane) {
    boolean oneSubtask = env.getParallelism() == 1;
    int lanes = lanes(o);
    SingleOutputStreamOperator<TraceSpans> batches = spans(env, o, lane, lanes)
        // Chained to the source: the raw span bytes of a trace travel as one record, parsed only by the
        // pairing. Stateless (flushed before every barrier), so its uid only keeps the graph stable.
        .transform("span-batches", TraceSpansTypeInfo.INSTANCE,
            new TraceBatcher(TRACE_BATCH_TRACES, TRACE_BATCH_DELAY_MS, oneSubtask))
        .uid(laneUid("span-batches", lane, lanes));
    KeyedStream<TraceSpans, String> byTrace;
    if (oneSubtask) {
      // One subtask owns every key group, so the batches are already where keyBy would send them:
      // declaring them keyed as they are is exact, and the pairing, the limiter, the edge timestamps
      // and the pre-aggregation then run chained behind the source, with no serialization and no
      // network buffer between them (in the benchmark, 0.5-0.7 x the shuffled shape's CPU per span). The
      // key serializer, key groups and max parallelism are those of keyBy, so snapshots move between
      // the two shapes. The batcher refuses to run in more than one subtask in this shape (a
      // scheduler that rescales the job, e.g. reactive mode, must not pair a trace in two places).
      byTrace = DataStreamUtils.reinterpretAsKeyedStream(batches, TraceSpans::key, Types.STRING);
    } else {
      byTrace = batches.keyBy(TraceSpans::key, Types.STRING);
    }
    // The pairing function in an operator that sweeps completed traces instead of a timer per trace;
    // same uid and state as the plain process() it replaced, so savepoints keep restoring.
    return byTrace
        .transform("service-graph", TypeInformation.of(EdgeEvent.class), new ServiceGraphOperator(o.pairing()))
        .uid(laneUid("service-graph", lane, lanes));
  }

  /**
   * Event time of a source: bounded out-of-orderness. In a live job a quiet partition stops holding
   * the others back, and when the traffic stops, event time goes on with the clock
   * ({@link QuietInputWatermarks}), so the last window closes and waiting spans expire. A bounded run
   * never marks inputs idle: a reader that finished early sends +inf, and an idle sibling would then let
   * +inf through and turn every record still in flight into late data.
   */
  static <T> WatermarkStrategy<T> eventTime(SerializableTimestampAssigner<T> timestamps, JobOptions o) {
    Duration outOfOrderness = o.outOfOrderness();
    Duration idleness = o.idleness();
    return o.bounded()
        ? WatermarkStrategy.<T>forBoundedOutOfOrderness(outOfOrderness).withTimestampAssigner(timestamps)
        : QuietInputWatermarks.strategy(timestamps, outOfOrderness, idleness, o.maxClockSkew());
  }

  /**
   * Distinct (key, window) partials one subtask buffers before it flushes early; bounds the heap the
   * pre-aggregation takes (a partial with its histograms is about 1 KB).
   */
  static final int PRE_AGGREGATION_KEYS = 10_000;

  /**
   * The cardinality limit and event-time stamping of one edge source. The trace branch keeps the
   * uids the single shared limiter had ({@code cardinality-limit}, {@code edge-timestamps}), so its
   * admitted names restore from older savepoints; the mesh branch's are new ({@code mesh-} prefix).
   */
  static DataStream<EdgeEvent> limited(DataStream<EdgeEvent> edges, JobOptions o, String namePrefix, String uidPrefix) {
    return edges
        .map(new CardinalityLimiter(o.maxNodes())).returns(TypeInformation.of(EdgeEvent.class))
        .uid(uidPrefix + "cardinality-limit").name(namePrefix + "cardinality-limit")
        .transform(namePrefix + "edge-timestamps", TypeInformation.of(EdgeEvent.class), new EdgeTimestamps())
        .uid(uidPrefix + "edge-timestamps");
  }

  static SingleOutputStreamOperator<EdgeAggregate> edgeAggregates(List<DataStream<EdgeEvent>> traceEdges,
      DataStream<EdgeEvent> meshEdges, JobOptions o) {
    ProtoTypeInfo<EdgeAggregate> type = ProtoTypeInfo.forMessage(EdgeAggregate.class);
    return eachLane(traceEdges, (lane, uidPrefix) -> partials(lane, "", uidPrefix, "edge-partials", new EdgeWindowing.EdgePartials(), type, o))
        .union(partials(meshEdges, "mesh-", "mesh-", "edge-partials", new EdgeWindowing.EdgePartials(), type, o))
        .keyBy(p -> p.f0, Types.STRING)
        .window(TumblingEventTimeWindows.of(o.window()))
        .allowedLateness(o.allowedLateness())
        .aggregate(new EdgeWindowing.MergeEdgePartials(), new EdgeWindowing.StampEdgeWindow(), type, type, type)
        .uid("edge-windows").name("edge-windows");
  }

  static SingleOutputStreamOperator<ServiceAggregate> serviceAggregates(List<DataStream<EdgeEvent>> traceEdges,
      DataStream<EdgeEvent> meshEdges, JobOptions o) {
    ProtoTypeInfo<ServiceAggregate> type = ProtoTypeInfo.forMessage(ServiceAggregate.class);
    return eachLane(traceEdges, (lane, uidPrefix) -> partials(lane, "", uidPrefix, "service-partials", new EdgeWindowing.ServicePartials(), type, o))
        .union(partials(meshEdges, "mesh-", "mesh-", "service-partials", new EdgeWindowing.ServicePartials(), type, o))
        .keyBy(p -> p.f0, Types.STRING)
        .window(TumblingEventTimeWindows.of(o.window()))
        .allowedLateness(o.allowedLateness())
        .aggregate(new EdgeWindowing.MergeServicePartials(), new EdgeWindowing.StampServiceWindow(), type, type, type)
        .uid("service-windows").name("service-windows");
  }

  /**
   * One stream of what {@code perLane} makes of each span lane's edges, given the lane's uid prefix. The lanes'
   * operators share their names, so metrics and dashboards that select an operator by name see every lane.
   */
  private static <T> DataStream<T> eachLane(List<DataStream<EdgeEvent>> lanes,
      java.util.function.BiFunction<DataStream<EdgeEvent>, String, DataStream<T>> perLane) {
    DataStream<T> all = null;
    for (int lane = 0; lane < lanes.size(); lane++) {
      DataStream<T> made = perLane.apply(lanes.get(lane), lanePrefix(lane, lanes.size()));
      all = all == null ? made : all.union(made);
    }
    return all;
  }

  /** Per-subtask pre-aggregation of one edge source (flushed before every barrier; its only state is the watermark it forwarded). */
  private static <B, A> DataStream<Tuple2<String, A>> partials(DataStream<EdgeEvent> edges, String namePrefix,
      String uidPrefix, String name, WindowPreAggregator.Accumulation<B, A> accumulation, TypeInformation<A> type, JobOptions o) {
    return edges
        .transform(namePrefix + name, Types.TUPLE(Types.STRING, type),
            new WindowPreAggregator<>(accumulation, o.window().toMillis(), PRE_AGGREGATION_KEYS))
        .uid(uidPrefix + name);
  }

  static void slo(StreamExecutionEnvironment env, JobOptions o, DataStream<ServiceAggregate> services,
      DataStream<EdgeAggregate> edges) {
    KafkaSourceBuilder<SloDefinitionChange> defs = KafkaSource.<SloDefinitionChange>builder()
        .setBootstrapServers(o.kafka())
        .setTopics(o.topic(Topics.SLO_DEFINITIONS))
        .setGroupId(o.groupId() + "-slo-definitions")
        .setStartingOffsets(OffsetsInitializer.earliest())
        .setDeserializer(new DefinitionDeserializer())
        .setProperty("isolation.level", "read_committed");
    if (o.bounded()) {
      defs.setBounded(OffsetsInitializer.latest());
    }
    o.consumerProperties().forEach(defs::setProperty);
    // Definitions carry no event time: their input must never hold back the SLO clock, so it is always
    // idle and the aggregates' watermark alone drives the evaluation. Not +inf: while the aggregates'
    // input is idle too (no traffic yet, or a quiet spell), Flink would take the only active input's
    // +inf as the operator's watermark, for good, and no evaluation timer would fire again.
    WatermarkStrategy<SloDefinitionChange> neverHoldsBack = WatermarkStrategy.forGenerator(ctx -> new WatermarkGenerator<>() {
      @Override
      public void onEvent(SloDefinitionChange event, long timestamp, WatermarkOutput output) {}

      @Override
      public void onPeriodicEmit(WatermarkOutput output) {
        output.markIdle();
      }
    });
    BroadcastStream<SloDefinitionChange> definitions = env
        .fromSource(defs.build(), WatermarkStrategy.noWatermarks(), "slo-definitions")
        .uid("slo-definitions-source").setParallelism(1)
        // Emitted by an operator on its own timer, not per Kafka split, so it flows even while the
        // definitions partition has no new records.
        .assignTimestampsAndWatermarks(neverHoldsBack).uid("slo-definitions-watermarks").setParallelism(1)
        .broadcast(SloFunction.DEFINITIONS);

    TypeInformation<SliSample> sampleType = TypeInformation.of(SliSample.class);
    DataStream<SliSample> samples = services.map(SliSample::of).returns(sampleType).uid("slo-service-samples").name("slo-service-samples")
        .union(edges.map(SliSample::of).returns(sampleType).uid("slo-edge-samples").name("slo-edge-samples"));
    SingleOutputStreamOperator<SloStatusRecord> status = samples
        .keyBy(s -> s.target, Types.STRING)
        .connect(definitions)
        .process(new SloFunction(o.alertWindows(), o.window(), o.allowedLateness()), ProtoTypeInfo.forMessage(SloStatusRecord.class))
        .uid("slo-evaluation").name("slo-evaluation");
    status.sinkTo(sink(o, new ProtoRecordSerializer<>(o.topic(Topics.SLO_STATUS), SloStatusRecord::getName, SloFunction::isRemoval),
        "slo-status")).uid("slo-status-sink").name("slo-status-sink");
    status.getSideOutput(SloFunction.ALERTS)
        .sinkTo(sink(o, o.topic(Topics.SLO_ALERTS), (SloAlertRecord a) -> a.getSlo() + "/" + a.getAlert().getName(), "slo-alerts"))
        .uid("slo-alerts-sink").name("slo-alerts-sink");
  }

  /**
   * Records per consumer poll, Kafka's default 500 raised: the connector hands polls from its fetcher thread
   * to the task thread through a queue of two (a capacity its fetcher manager fixes), and 500 spans are about
   * 1.5 ms of the span chain's work, so a fetcher thread off its core for longer (two cores shared with the
   * JIT compiler and the broker) left the chain idle. A poll returns what has arrived without waiting for
   * more, so this adds no latency; {@code --consumer-property max.poll.records=N} overrides it.
   */
  static final int MAX_POLL_RECORDS = 2000;

  static <T> KafkaSource<T> source(JobOptions o, String topic,
      KafkaRecordDeserializationSchema<T> deserializer, String name) {
    return sourceBuilder(o, deserializer, name).setTopics(topic).build();
  }

  /** A source's settings but what it reads. */
  private static <T> KafkaSourceBuilder<T> sourceBuilder(JobOptions o, KafkaRecordDeserializationSchema<T> deserializer,
      String name) {
    KafkaSourceBuilder<T> b = KafkaSource.<T>builder()
        .setBootstrapServers(o.kafka())
        .setGroupId(o.groupId())
        .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
        .setDeserializer(deserializer)
        .setProperty("isolation.level", "read_committed")
        .setProperty("client.id.prefix", o.groupId() + "-" + name)
        .setProperty("max.poll.records", Integer.toString(MAX_POLL_RECORDS));
    if (o.bounded()) {
      b.setBounded(OffsetsInitializer.latest());
    } else {
      b.setProperty("partition.discovery.interval.ms", "60000");
    }
    // Never one of the settings above but max.poll.records: JobOptions refuses those keys.
    o.consumerProperties().forEach(b::setProperty);
    return b;
  }

  static <T extends com.google.protobuf.Message> KafkaSink<T> sink(JobOptions o, String topic,
      org.apache.flink.util.function.SerializableFunction<T, String> key, String name) {
    return sink(o, new ProtoRecordSerializer<>(topic, key), name);
  }

  static <T extends com.google.protobuf.Message> KafkaSink<T> sink(JobOptions o, ProtoRecordSerializer<T> serializer, String name) {
    return KafkaSink.<T>builder()
        .setBootstrapServers(o.kafka())
        .setRecordSerializer(serializer)
        .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
        .setTransactionalIdPrefix(o.groupId() + "-" + o.topicPrefix() + name)
        .setProperty("transaction.timeout.ms", Long.toString(o.transactionTimeout().toMillis()))
        .build();
  }

  /** Reads (name, SloDefinitionRecord | tombstone) from the compacted definitions topic. */
  static final class DefinitionDeserializer implements KafkaRecordDeserializationSchema<SloDefinitionChange> {
    private static final long serialVersionUID = 1L;

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<SloDefinitionChange> out) {
      if (record.key() == null) {
        return;
      }
      String name = new String(record.key(), StandardCharsets.UTF_8);
      if (record.value() == null) {
        out.collect(new SloDefinitionChange(name, null, ""));
        return;
      }
      try {
        SloDefinitionRecord r = SloDefinitionRecord.parseFrom(record.value());
        out.collect(new SloDefinitionChange(name, r.getOpensloYaml(), r.getSourceFile()));
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        // A record that is not a definition cannot change any SLO; the function counts rejections of bad YAML.
      }
    }

    @Override
    public TypeInformation<SloDefinitionChange> getProducedType() {
      return TypeInformation.of(SloDefinitionChange.class);
    }
  }
}
