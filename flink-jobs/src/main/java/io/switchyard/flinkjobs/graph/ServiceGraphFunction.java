package io.switchyard.flinkjobs.graph;

import io.switchyard.flinkjobs.serde.ProtoTypeInfo;
import io.switchyard.model.v1.SpanRecord;
import io.switchyard.model.v1.SpanRecord.SpanKind;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Pairs client-side spans (CLIENT, PRODUCER) with server-side spans (SERVER, CONSUMER) of one trace:
 * the client waits under its span id, the server under its parent span id, whichever comes first.
 *
 * <p>Differences from Tempo and the OTel connector, on purpose: a span delivered twice (same trace,
 * span id and kind) counts once; a PRODUCER stays until its wait ends so every CONSUMER of a fan-out
 * gets its own edge; an edge made at expiry keeps the latency of the side that was seen instead of
 * recording a zero for the missing side; root server spans become edges at once (no client can match
 * an empty parent id).
 */
public class ServiceGraphFunction extends KeyedProcessFunction<String, SpanRecord, EdgeEvent> {
  private static final long serialVersionUID = 1L;
  private static final String CLIENT_PREFIX = "c/";
  private static final String SERVER_PREFIX = "s/";

  /** Why a span did not become a paired edge. */
  public enum Outcome {
    /** Paired client and server. */
    PAIRED,
    /** Database client span, completed at once. */
    DATABASE,
    /** Root server span made a user (or peer) edge. */
    ROOT_SERVER,
    /** Client waited in vain: virtual server edge. */
    EXPIRED_CLIENT,
    /** Non-root server waited in vain: dropped, its caller is not instrumented as a client. */
    EXPIRED_SERVER,
    /** Same trace, span id and kind seen before. */
    DROPPED_DUPLICATE,
    /** Resource had no service.name. */
    DROPPED_NO_SERVICE,
  }

  private final PairingConfig config;
  private transient MapState<String, SpanRecord> pending;
  private transient MapState<String, Long> deadlines;
  private transient MapState<String, Boolean> matchedProducers;
  private transient MapState<String, Boolean> seen;
  private transient Map<Outcome, Counter> counters;

  public ServiceGraphFunction(PairingConfig config) {
    this.config = config;
  }

  @Override
  public void open(OpenContext openContext) {
    pending = getRuntimeContext().getMapState(
        new MapStateDescriptor<>("pending-spans", Types.STRING, ProtoTypeInfo.forMessage(SpanRecord.class)));
    deadlines = getRuntimeContext().getMapState(new MapStateDescriptor<>("pending-deadlines", Types.STRING, Types.LONG));
    matchedProducers = getRuntimeContext().getMapState(new MapStateDescriptor<>("matched-producers", Types.STRING, Types.BOOLEAN));
    MapStateDescriptor<String, Boolean> seenDescriptor = new MapStateDescriptor<>("seen-spans", Types.STRING, Types.BOOLEAN);
    seenDescriptor.enableTimeToLive(StateTtlConfig.newBuilder(config.dedupeTtl())
        .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
        .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
        .build());
    seen = getRuntimeContext().getMapState(seenDescriptor);
    counters = new EnumMap<>(Outcome.class);
    for (Outcome o : Outcome.values()) {
      counters.put(o, getRuntimeContext().getMetricGroup().addGroup("outcome", o.name().toLowerCase()).counter("spans"));
    }
  }

  /** How many spans ended with this outcome in this subtask (exposed as Flink metrics too). */
  public long count(Outcome outcome) {
    return counters.get(outcome).getCount();
  }

  @Override
  public void processElement(SpanRecord span, Context ctx, Collector<EdgeEvent> out) throws Exception {
    SpanKind kind = span.getKind();
    boolean clientSide = SpanEdges.isClientSide(kind);
    if (!clientSide && !SpanEdges.isServerSide(kind)) {
      return; // INTERNAL spans never bridge services
    }
    if (span.getServiceName().isEmpty()) {
      counters.get(Outcome.DROPPED_NO_SERVICE).inc();
      return;
    }
    String spanId = SpanEdges.hex(span.getSpanId());
    String seenKey = spanId + "/" + kind.getNumber();
    if (seen.contains(seenKey)) {
      counters.get(Outcome.DROPPED_DUPLICATE).inc();
      return;
    }
    seen.put(seenKey, Boolean.TRUE);

    if (clientSide) {
      onClient(span, spanId, ctx, out);
    } else {
      onServer(span, spanId, ctx, out);
    }
  }

  private void onClient(SpanRecord client, String spanId, Context ctx, Collector<EdgeEvent> out) throws Exception {
    if (SpanEdges.isDatabase(client)) {
      counters.get(Outcome.DATABASE).inc();
      out.collect(SpanEdges.database(client));
      return;
    }
    boolean producer = client.getKind() == SpanKind.SPAN_KIND_PRODUCER;
    String waitingPrefix = SERVER_PREFIX + spanId + "/";
    List<String> waiting = new ArrayList<>();
    for (String key : pending.keys()) {
      if (key.startsWith(waitingPrefix)) {
        waiting.add(key);
      }
    }
    waiting.sort(null); // a deterministic choice when several servers claim one CLIENT
    boolean matched = false;
    for (String key : waiting) {
      out.collect(SpanEdges.paired(client, pending.get(key)));
      counters.get(Outcome.PAIRED).inc();
      pending.remove(key);
      deadlines.remove(key);
      matched = true;
      if (!producer) {
        break;
      }
    }
    if (matched && !producer) {
      return;
    }
    // Producers stay until their wait ends: more consumers of a fan-out may still come.
    String key = CLIENT_PREFIX + spanId;
    pending.put(key, client);
    if (matched) {
      matchedProducers.put(key, Boolean.TRUE);
    }
    scheduleExpiry(key, client, ctx);
  }

  private void onServer(SpanRecord server, String spanId, Context ctx, Collector<EdgeEvent> out) throws Exception {
    if (server.getParentSpanId().isEmpty()) {
      counters.get(Outcome.ROOT_SERVER).inc();
      out.collect(SpanEdges.rootServer(server));
      return;
    }
    String parentId = SpanEdges.hex(server.getParentSpanId());
    String clientKey = CLIENT_PREFIX + parentId;
    SpanRecord client = pending.get(clientKey);
    if (client != null) {
      out.collect(SpanEdges.paired(client, server));
      counters.get(Outcome.PAIRED).inc();
      if (client.getKind() == SpanKind.SPAN_KIND_PRODUCER) {
        matchedProducers.put(clientKey, Boolean.TRUE);
      } else {
        pending.remove(clientKey);
        deadlines.remove(clientKey);
      }
      return;
    }
    String key = SERVER_PREFIX + parentId + "/" + spanId;
    pending.put(key, server);
    scheduleExpiry(key, server, ctx);
  }

  private void scheduleExpiry(String key, SpanRecord span, Context ctx) throws Exception {
    long waitMs = config.pairingWait().toMillis();
    long deadline;
    if (config.timeDomain() == PairingConfig.TimeDomain.PROCESSING) {
      deadline = ctx.timerService().currentProcessingTime() + waitMs;
      ctx.timerService().registerProcessingTimeTimer(deadline);
    } else {
      long spanTime = ctx.timestamp() != null ? ctx.timestamp() : span.getEndTimeUnixNano() / 1_000_000;
      deadline = Math.max(spanTime, ctx.timerService().currentWatermark()) + waitMs;
      ctx.timerService().registerEventTimeTimer(deadline);
    }
    deadlines.put(key, deadline);
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<EdgeEvent> out) throws Exception {
    List<String> due = new ArrayList<>();
    for (Map.Entry<String, Long> e : deadlines.entries()) {
      if (e.getValue() <= timestamp) {
        due.add(e.getKey());
      }
    }
    due.sort(null);
    for (String key : due) {
      SpanRecord span = pending.get(key);
      if (key.startsWith(CLIENT_PREFIX)) {
        if (!matchedProducers.contains(key)) {
          counters.get(Outcome.EXPIRED_CLIENT).inc();
          out.collect(SpanEdges.unmatchedClient(span, config.peerAttributes()));
        }
        matchedProducers.remove(key);
      } else {
        counters.get(Outcome.EXPIRED_SERVER).inc();
      }
      pending.remove(key);
      deadlines.remove(key);
    }
  }
}
