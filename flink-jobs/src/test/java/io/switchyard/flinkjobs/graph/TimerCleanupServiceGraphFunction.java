package io.switchyard.flinkjobs.graph;

import com.google.protobuf.InvalidProtocolBufferException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import io.switchyard.flinkjobs.graph.ServiceGraphFunction.Outcome;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The pairing function as it was before completed traces were swept (main at 3c62d49): every trace
 * with nothing waiting holds a cleanup timer for the dedupe TTL. Kept unchanged as the oracle of
 * {@link ServiceGraphSweepEquivalenceTest}; only its name, visibility, the renamed state field and the
 * producers' own wait ({@link PairingConfig#messagingWait}, a pairing rule both builds share) differ.
 */
final class TimerCleanupServiceGraphFunction extends KeyedProcessFunction<String, TraceSpans, EdgeEvent> {
  private static final long serialVersionUID = 1L;
  private static final String CLIENT_PREFIX = "c/";
  private static final String SERVER_PREFIX = "s/";
  private static final Comparator<TraceState.Pending> BY_KEY = Comparator.comparing(p -> p.key());

  private final PairingConfig config;
  private transient ValueState<TraceState> traces;
  private transient Map<Outcome, Counter> counters;

  TimerCleanupServiceGraphFunction(PairingConfig config) {
    this.config = config;
  }

  @Override
  public void open(OpenContext openContext) {
    // No state TTL: Flink's TTL runs on the wall clock only, so a job restored after being down longer
    // than the TTL found every waiting span expired and paired nothing (SavepointCompatibilityIT). A
    // trace is forgotten by its cleanup timer on the pairing clock instead. Snapshots written with the
    // TTL still restore: Flink 2.2 migrates TTL state to a descriptor without it.
    traces = getRuntimeContext().getState(new ValueStateDescriptor<>("trace-pairing", TraceStateSerializer.INSTANCE));
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
  public void processElement(TraceSpans batch, Context ctx, Collector<EdgeEvent> out) throws Exception {
    TraceState trace = null;
    boolean changed = false;
    long latest = Long.MIN_VALUE; // the pairing clock at the batch's newest accepted span
    for (byte[] raw : batch.spans()) {
      SpanFields span;
      try {
        span = SpanFields.parse(raw);
      } catch (InvalidProtocolBufferException e) {
        counters.get(Outcome.DROPPED_MALFORMED).inc();
        continue;
      }
      int kind = span.kind;
      boolean clientSide = SpanEdges.isClientSide(kind);
      if (!clientSide && !SpanEdges.isServerSide(kind)) {
        continue; // INTERNAL spans never bridge services
      }
      if (span.serviceName.isEmpty()) {
        counters.get(Outcome.DROPPED_NO_SERVICE).inc();
        continue;
      }
      if (trace == null) {
        trace = traces.value();
        if (trace == null) {
          trace = new TraceState();
        }
      }
      if (!trace.markSeen(TraceState.seenKey(span))) {
        counters.get(Outcome.DROPPED_DUPLICATE).inc();
        continue;
      }
      changed = true;
      latest = Math.max(latest, now(span, ctx));
      String spanId = span.spanIdHex();
      if (clientSide) {
        onClient(trace, span, raw, spanId, ctx, out);
      } else {
        onServer(trace, span, raw, spanId, ctx, out);
      }
    }
    if (changed) {
      reschedule(trace, ctx.timerService(), latest);
      traces.update(trace);
    }
  }

  private void onClient(TraceState trace, SpanFields client, byte[] raw, String spanId, Context ctx, Collector<EdgeEvent> out) {
    if (SpanEdges.isDatabase(client)) {
      counters.get(Outcome.DATABASE).inc();
      out.collect(SpanEdges.database(client));
      return;
    }
    boolean producer = client.kind == SpanFields.KIND_PRODUCER;
    String waitingPrefix = SERVER_PREFIX + spanId + "/";
    List<TraceState.Pending> waiting = new ArrayList<>();
    for (TraceState.Pending p : trace.pending) {
      if (p.key().startsWith(waitingPrefix)) {
        waiting.add(p);
      }
    }
    waiting.sort(BY_KEY); // a deterministic choice when several servers claim one CLIENT
    boolean matched = false;
    for (TraceState.Pending server : waiting) {
      out.collect(SpanEdges.paired(client, server.span));
      counters.get(Outcome.PAIRED).inc();
      trace.pending.remove(server);
      matched = true;
      if (!producer) {
        break;
      }
    }
    if (matched && !producer) {
      return;
    }
    // Producers stay until their wait ends: more consumers of a fan-out may still come.
    trace.put(new TraceState.Pending(CLIENT_PREFIX + spanId, client, raw, deadline(client, ctx), matched));
  }

  private void onServer(TraceState trace, SpanFields server, byte[] raw, String spanId, Context ctx, Collector<EdgeEvent> out) {
    if (!server.hasParent()) {
      counters.get(Outcome.ROOT_SERVER).inc();
      out.collect(SpanEdges.rootServer(server));
      return;
    }
    String parentId = server.parentSpanIdHex();
    TraceState.Pending client = trace.find(CLIENT_PREFIX + parentId);
    if (client != null) {
      out.collect(SpanEdges.paired(client.span, server));
      counters.get(Outcome.PAIRED).inc();
      if (client.span.kind == SpanFields.KIND_PRODUCER) {
        client.matchedProducer = true;
      } else {
        trace.pending.remove(client);
      }
      return;
    }
    trace.put(new TraceState.Pending(SERVER_PREFIX + parentId + "/" + spanId, server, raw, deadline(server, ctx), false));
  }

  private long deadline(SpanFields span, Context ctx) {
    Duration wait = span.kind == SpanFields.KIND_PRODUCER ? config.messagingWait() : config.pairingWait();
    return saturatedAdd(now(span, ctx), wait.toMillis());
  }

  /** The pairing clock when {@code span} arrives: the wall clock, or the span's time but never behind the watermark. */
  private long now(SpanFields span, Context ctx) {
    if (config.timeDomain() == PairingConfig.TimeDomain.PROCESSING) {
      return ctx.timerService().currentProcessingTime();
    }
    // The span's own event time (what the source's timestamp assigner gives it), not the batch's.
    long spanTime = span.endTimeUnixNano / 1_000_000;
    return Math.max(spanTime, ctx.timerService().currentWatermark());
  }

  private static long saturatedAdd(long a, long b) {
    long r = a + b;
    return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
  }

  /**
   * One expiry timer per trace at its earliest deadline (not one per span), dropped as soon as
   * nothing waits, so live timers track waiting traces only. A trace with nothing waiting has one
   * cleanup timer instead, on the same clock, at least the dedupe TTL after its last span; it is moved
   * only when later spans push that point more than half a TTL out, so a busy trace does not re-register
   * a timer per span. Because both run on the pairing clock, a stopped job forgets nothing while it is
   * down: in event time the spans waiting in a restored snapshot still pair with servers that arrive
   * after the restore, however long the restore took.
   */
  private void reschedule(TraceState trace, TimerService timers, long now) {
    boolean processing = config.timeDomain() == PairingConfig.TimeDomain.PROCESSING;
    long next = trace.earliestDeadline();
    if (next != trace.expiryTimer) {
      if (trace.expiryTimer != Long.MIN_VALUE) {
        if (processing) {
          timers.deleteProcessingTimeTimer(trace.expiryTimer);
        } else {
          timers.deleteEventTimeTimer(trace.expiryTimer);
        }
      }
      if (next == Long.MAX_VALUE) {
        trace.expiryTimer = Long.MIN_VALUE;
      } else {
        if (processing) {
          timers.registerProcessingTimeTimer(next);
        } else {
          timers.registerEventTimeTimer(next);
        }
        trace.expiryTimer = next;
      }
    }
    long ttl = config.dedupeTtl().toMillis();
    if (!trace.pending.isEmpty()) {
      if (trace.forgetAt != Long.MIN_VALUE) {
        delete(timers, processing, trace.forgetAt);
        trace.forgetAt = Long.MIN_VALUE;
      }
    } else if (trace.forgetAt == Long.MIN_VALUE || saturatedAdd(now, ttl) > trace.forgetAt) {
      if (trace.forgetAt != Long.MIN_VALUE) {
        delete(timers, processing, trace.forgetAt);
      }
      trace.forgetAt = saturatedAdd(now, ttl + ttl / 2);
      if (processing) {
        timers.registerProcessingTimeTimer(trace.forgetAt);
      } else {
        timers.registerEventTimeTimer(trace.forgetAt);
      }
    }
  }

  private static void delete(TimerService timers, boolean processing, long timer) {
    if (processing) {
      timers.deleteProcessingTimeTimer(timer);
    } else {
      timers.deleteEventTimeTimer(timer);
    }
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<EdgeEvent> out) throws Exception {
    TraceState trace = traces.value();
    if (trace == null) {
      return;
    }
    boolean processing = config.timeDomain() == PairingConfig.TimeDomain.PROCESSING;
    if (processing != (ctx.timeDomain() == TimeDomain.PROCESSING_TIME)) {
      // A wall-clock keep-alive timer of a snapshot taken before cleanup timers (same state slot).
      if (timestamp == trace.forgetAt) {
        trace.forgetAt = Long.MIN_VALUE;
        reschedule(trace, ctx.timerService(), ctx.timerService().currentWatermark());
        traces.update(trace);
      }
      return;
    }
    if (timestamp == trace.forgetAt && timestamp != trace.expiryTimer) {
      if (trace.pending.isEmpty()) {
        traces.clear(); // the dedupe TTL passed since the trace's last span
      }
      return;
    }
    if (timestamp != trace.expiryTimer) {
      return;
    }
    trace.expiryTimer = Long.MIN_VALUE;
    List<TraceState.Pending> due = new ArrayList<>();
    for (TraceState.Pending p : trace.pending) {
      if (p.deadline <= timestamp) {
        due.add(p);
      }
    }
    due.sort(BY_KEY);
    for (TraceState.Pending p : due) {
      if (p.key().startsWith(CLIENT_PREFIX)) {
        if (!p.matchedProducer) {
          counters.get(Outcome.EXPIRED_CLIENT).inc();
          out.collect(SpanEdges.unmatchedClient(p.span, config.peerAttributes()));
        }
      } else {
        counters.get(Outcome.EXPIRED_SERVER).inc();
      }
      trace.pending.remove(p);
    }
    reschedule(trace, ctx.timerService(), timestamp);
    traces.update(trace);
  }
}
