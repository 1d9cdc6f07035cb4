package io.switchyard.flinkjobs.graph;

import com.google.protobuf.InvalidProtocolBufferException;
import io.switchyard.model.v1.SpanRecord;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Pairs client-side spans (CLIENT, PRODUCER) with server-side spans (SERVER, CONSUMER) of one trace:
 * the client waits under its span id, the server under its parent span id, whichever comes first.
 *
 * <p>Differences from Tempo and the OTel connector, on purpose: a span delivered twice (same trace,
 * span id and kind) counts once; a PRODUCER stays until its own, longer wait ends
 * ({@link PairingConfig#messagingWait}) so every CONSUMER of a fan-out gets its own edge, however late
 * it reads the message within that wait; an edge made at expiry keeps the latency of the side that was seen instead of
 * recording a zero for the missing side; root server spans become edges at once (no client can match
 * an empty parent id).
 *
 * <p>Input arrives as {@link TraceSpans}: the raw bytes of one or more spans of the trace, in arrival
 * order, parsed here once. A batch costs one state read and one write however many spans it holds,
 * and timers are touched only when a span is still waiting after the whole batch. A trace with
 * nothing waiting holds no timer: {@link ServiceGraphOperator} runs this function and sweeps such
 * traces out once their dedupe memory ran out ({@link #forgettable}).
 */
public class ServiceGraphFunction extends KeyedProcessFunction<String, TraceSpans, EdgeEvent> {
  private static final long serialVersionUID = 1L;
  private static final Comparator<TraceState.Pending> BY_KEY = Comparator.comparing(TraceState.Pending::key);

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
    /** Record bytes did not parse as a span. */
    DROPPED_MALFORMED,
    /**
     * An application's span of a hop its proxies traced too (a CLIENT whose child is a proxy's CLIENT,
     * a SERVER whose parent is a proxy's SERVER): the proxies' pair counts the hop.
     */
    PROXIED,
  }

  private final PairingConfig config;
  /** The config's durations in milliseconds, read per span. */
  private final long dedupeTtlMs;
  private final long pairingWaitMs;
  private final long messagingWaitMs;
  private transient ValueStateDescriptor<TraceState> descriptor;
  private transient ValueState<TraceState> traces;
  private transient Map<Outcome, Counter> counters;
  /**
   * The lowest {@link TraceState#forgetAt} this function gave a completed trace since the operator
   * last reset it ({@link Long#MAX_VALUE} when none): lets {@link ServiceGraphOperator} skip a walk
   * while nothing in the state can have run out yet.
   */
  transient long lowestForgetAtWritten;
  /**
   * The trace keys that may be in the state (set by {@link ServiceGraphOperator}; {@code null} on the
   * heap backend): a batch of a trace the filter surely lacks starts a new trace without reading the
   * state, and a trace written without having been read is added to it.
   */
  transient TraceKeyFilter keyFilter;
  /**
   * Completed traces written but not yet put into RocksDB (set by {@link ServiceGraphOperator} with the
   * key filter; {@code null} on the heap backend): read before the state, drained by the operator.
   */
  transient CompletedTraceWrites heldWrites;
  /**
   * Gives Flink's keyed state the current batch's key, before the pairing reads or writes its state or
   * timers: the operator leaves it unset until then ({@code ServiceGraphOperator.setKeyContextElement1}).
   * A no-op where Flink sets every element's key itself.
   */
  transient Runnable keyState = () -> {};
  /** Batches of new traces that skipped the state read ({@code state_reads_skipped}). */
  private transient Counter readsSkipped;

  ServiceGraphFunction(PairingConfig config) {
    this.config = config;
    this.dedupeTtlMs = config.dedupeTtl().toMillis();
    this.pairingWaitMs = config.pairingWait().toMillis();
    this.messagingWaitMs = config.messagingWait().toMillis();
  }

  @Override
  public void open(OpenContext openContext) {
    // No state TTL: Flink's TTL runs on the wall clock only, so a job restored after being down longer
    // than the TTL found every waiting span expired and paired nothing (SavepointCompatibilityIT). A
    // trace is forgotten by its cleanup timer on the pairing clock instead. Snapshots written with the
    // TTL still restore: Flink 2.2 migrates TTL state to a descriptor without it.
    descriptor = new ValueStateDescriptor<>("trace-pairing", TraceStateSerializer.INSTANCE);
    lowestForgetAtWritten = Long.MAX_VALUE;
    traces = getRuntimeContext().getState(descriptor);
    readsSkipped = getRuntimeContext().getMetricGroup().counter("state_reads_skipped");
    counters = new EnumMap<>(Outcome.class);
    for (Outcome o : Outcome.values()) {
      counters.put(o, getRuntimeContext().getMetricGroup().addGroup("outcome", o.name().toLowerCase()).counter("spans"));
    }
  }

  /** How many spans ended with this outcome in this subtask (exposed as Flink metrics too). */
  public long count(Outcome outcome) {
    return counters.get(outcome).getCount();
  }

  /** Batches that started a new trace without reading the state, because the key filter lacked it. */
  long readsSkipped() {
    return readsSkipped.getCount();
  }

  @Override
  public void processElement(TraceSpans batch, Context ctx, Collector<EdgeEvent> out) throws Exception {
    TraceState trace = null;
    boolean changed = false;
    long latest = Long.MIN_VALUE; // the pairing clock at the batch's newest accepted span
    int n = batch.size();
    // Indexed loops on the per-span path: the iterators they replace were 4 % of the job's allocations.
    for (int i = 0; i < n; i++) {
      byte[] raw = batch.span(i);
      SpanFields span;
      try {
        span = SpanFields.parse(raw);
      } catch (InvalidProtocolBufferException e) {
        counters.get(Outcome.DROPPED_MALFORMED).inc();
        continue;
      }
      int kind = span.kind;
      if (!SpanEdges.isClientSide(kind) && !SpanEdges.isServerSide(kind)) {
        continue; // INTERNAL spans never bridge services
      }
      if (span.serviceName.isEmpty()) {
        counters.get(Outcome.DROPPED_NO_SERVICE).inc();
        continue;
      }
      if (trace == null) {
        trace = lookUp(batch);
      }
      List<SpanRecord.Link> links = span.links();
      if (!links.isEmpty()) {
        if (acceptLinking(batch, trace, span, links, raw, ctx, out)) {
          changed = true;
          latest = Math.max(latest, now(span, ctx));
        }
        continue;
      }
      // accept(), written out: as a call the span path took about 4 % more CPU per span in process (SpanChainCpu).
      if (!trace.markSeen(TraceState.seenKey(span))) {
        counters.get(Outcome.DROPPED_DUPLICATE).inc();
        continue;
      }
      changed = true;
      latest = Math.max(latest, now(span, ctx));
      if (span.proxy()) {
        onProxy(trace, span);
      }
      if (SpanEdges.isClientSide(kind)) {
        onClient(trace, span, raw, ctx, out);
      } else {
        onServer(trace, span, raw, ctx, out);
      }
    }
    if (changed) {
      reschedule(trace, ctx.timerService(), latest);
      write(batch.key(), trace);
    }
  }

  /** The batch's trace: its stored state, or a new one (without a read when the key filter knows the key is new). */
  private TraceState lookUp(TraceSpans batch) throws Exception {
    TraceKeyFilter filter = keyFilter;
    TraceState trace = null;
    // The current key is batch.key(), the hex of the id the batch hashes (no String read).
    long keyHash = filter == null ? 0 : batch.keyHash();
    if (filter == null || filter.mayHoldElseAdd(keyHash)) {
      trace = readOrLearn(batch.key(), filter, keyHash);
    } else {
      readsSkipped.inc(); // and added already
    }
    return trace == null ? new TraceState() : trace;
  }

  /** Pairs or stores one span of the trace; false when it was seen before. */
  private boolean accept(TraceState trace, SpanFields span, byte[] raw, Context ctx, Collector<EdgeEvent> out) {
    if (!trace.markSeen(TraceState.seenKey(span))) {
      counters.get(Outcome.DROPPED_DUPLICATE).inc();
      return false;
    }
    if (span.proxy()) {
      onProxy(trace, span);
    }
    if (SpanEdges.isClientSide(span.kind)) {
      onClient(trace, span, raw, ctx, out);
    } else {
      onServer(trace, span, raw, ctx, out);
    }
    return true;
  }

  /**
   * A CONSUMER span with links, in its own trace's batch or in the batch of a trace it links to (ingest writes a
   * copy of its record keyed by each such trace, which the source batches under it): in its own trace it pairs as
   * any consumer (with its parent, if it has one); and under each link into the batch's trace it pairs as the child
   * of the linked span, the producer span of a message it received. A link to its own parent pairs once, as the
   * parent.
   */
  private boolean acceptLinking(TraceSpans batch, TraceState trace, SpanFields span, List<SpanRecord.Link> links, byte[] raw,
      Context ctx, Collector<EdgeEvent> out) {
    boolean own = batch.traceIs(span.traceId());
    boolean accepted = own && accept(trace, span, raw, ctx, out);
    for (int i = 0; i < links.size(); i++) {
      SpanRecord.Link link = links.get(i);
      if (batch.traceIs(link.getTraceId()) && !(own && span.isChildOf(link.getSpanId()))) {
        accepted |= accept(trace, span.linkedTo(link), raw, ctx, out);
      }
    }
    return accepted;
  }

  /**
   * {@link #read}, and when the state has no value the key enters the key filter at once, as the pairing is
   * about to write it (when the filter said maybe: it has not added the key). Only here, or in the lookup that
   * found the key surely absent, does a key enter the filter: the timer callback writes only traces it has read.
   * If the batch then writes nothing (all its spans were duplicates or never bridge services), the filter holds
   * one key too many, which costs only a read that finds nothing. Adding the key after the batch's spans were
   * paired was a branch taken only at the filter's false positives, which are rare while it fills: the first one
   * after C2 compiled the pairing threw its code (70–78 KB) away.
   */
  private TraceState readOrLearn(String key, TraceKeyFilter filter, long keyHash) throws Exception {
    TraceState t = read(key);
    if (t == null && filter != null) {
      filter.added(keyHash);
    }
    return t;
  }

  /** The current trace's value: a held write, else the state's. */
  private TraceState read(String key) throws Exception {
    CompletedTraceWrites held = heldWrites;
    TraceState t = held != null ? held.get(key) : null;
    if (t == CompletedTraceWrites.DELETED) {
      return null;
    }
    if (t != null) {
      return t;
    }
    keyState.run();
    return traces.value();
  }

  /**
   * Writes the current trace: held when it is complete and holds no timer, or when the held writes'
   * batch has a value of it already; else to the state at once.
   */
  private void write(String key, TraceState trace) throws Exception {
    CompletedTraceWrites held = heldWrites;
    if (held == null) {
      keyState.run();
      traces.update(trace);
    } else if ((trace.pending.isEmpty() && trace.expiryTimer == Long.MIN_VALUE) || held.batches(key)) {
      held.hold(key, trace); // drained by the operator once it is full, after this call
    } else {
      held.drop(key);
      keyState.run();
      traces.update(trace);
    }
  }

  private void clear(String key) throws Exception {
    CompletedTraceWrites held = heldWrites;
    if (held != null && held.batches(key)) {
      held.holdDeleted(key);
      return;
    }
    if (held != null) {
      held.drop(key);
    }
    keyState.run();
    traces.clear();
  }

  /** Puts {@code trace} into the state under the backend's current key (a drained held write). */
  void put(TraceState trace) throws Exception {
    traces.update(trace);
  }

  private void onClient(TraceState trace, SpanFields client, byte[] raw, Context ctx, Collector<EdgeEvent> out) {
    if (SpanEdges.isDatabase(client)) {
      counters.get(Outcome.DATABASE).inc();
      out.collect(SpanEdges.database(client));
      return;
    }
    boolean producer = client.kind == SpanFields.KIND_PRODUCER;
    List<TraceState.Pending> waiting = List.of();
    List<TraceState.Pending> pending = trace.pending;
    for (int i = 0; i < pending.size(); i++) {
      TraceState.Pending p = pending.get(i);
      if (p.waitsFor(client)) {
        if (waiting.isEmpty()) {
          waiting = new ArrayList<>(2);
        }
        waiting.add(p);
      }
    }
    if (waiting.size() > 1) {
      waiting.sort(BY_KEY); // a deterministic choice when several servers claim one CLIENT
    }
    boolean matched = false;
    for (int i = 0; i < waiting.size(); i++) {
      TraceState.Pending server = waiting.get(i);
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
    if (!producer && trace.proxyMarks && !client.proxy() && trace.marked(client, TraceState.PROXY_CLIENT_PARENT, false)) {
      counters.get(Outcome.PROXIED).inc(); // its proxy's CLIENT span came first
      return;
    }
    // Producers stay until their wait ends: more consumers of a fan-out may still come, and a consumer
    // may read the message long after an RPC's partner would have come (a backlog, a batch consumer).
    long wait = producer ? messagingWaitMs : pairingWaitMs;
    trace.put(new TraceState.Pending(true, client, raw, deadline(client, ctx, wait), matched));
  }

  private void onServer(TraceState trace, SpanFields server, byte[] raw, Context ctx, Collector<EdgeEvent> out) {
    if (!server.hasParent() && !server.links().isEmpty()) {
      return; // a consumer that links its messages' producers: no caller but them (acceptLinking), not a user
    }
    if (!server.hasParent()) {
      counters.get(Outcome.ROOT_SERVER).inc();
      out.collect(SpanEdges.rootServer(server));
      return;
    }
    TraceState.Pending client = trace.findClient(server);
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
    if (trace.proxyMarks && server.kind == SpanFields.KIND_SERVER && !server.proxy()
        && trace.marked(server, TraceState.PROXY_SERVER, true)) {
      counters.get(Outcome.PROXIED).inc(); // its proxy's SERVER span came first
      return;
    }
    // A consumer waits like any server: one that comes first waits for a producer span delivered out of
    // order, which is a delivery delay like an RPC client's, not the message's time in the queue.
    trace.put(new TraceState.Pending(false, server, raw, deadline(server, ctx, pairingWaitMs), false));
  }

  /**
   * A proxy's span, before it pairs as any span does: with sidecars and instrumented applications one
   * hop A -> B is four spans, app A's CLIENT, A's sidecar's CLIENT, B's sidecar's SERVER, app B's
   * SERVER, each the child of the one before. The sidecars' pair is the hop; the application span
   * next to each proxy span makes no edge of its own. One that waits already is taken out here; one that
   * comes later finds the marker this leaves (kept as long as the trace's dedupe memory). Only an
   * application's span is taken: a proxy span next to another proxy's (a sidecar's CLIENT above an
   * egress gateway's) still pairs or expires as before, so no hop of a proxy chain disappears.
   */
  private void onProxy(TraceState trace, SpanFields proxy) {
    if (proxy.kind == SpanFields.KIND_CLIENT && proxy.hasParent()) {
      trace.mark(proxy, TraceState.PROXY_CLIENT_PARENT, true);
      List<TraceState.Pending> pending = trace.pending;
      for (int i = 0; i < pending.size(); i++) {
        TraceState.Pending p = pending.get(i);
        if (p.client && p.span.kind == SpanFields.KIND_CLIENT && proxy.isChildOf(p.span) && !p.span.proxy()) {
          pending.remove(i);
          counters.get(Outcome.PROXIED).inc();
          return;
        }
      }
    } else if (proxy.kind == SpanFields.KIND_SERVER) {
      trace.mark(proxy, TraceState.PROXY_SERVER, false);
      List<TraceState.Pending> pending = trace.pending;
      for (int i = pending.size() - 1; i >= 0; i--) {
        TraceState.Pending p = pending.get(i);
        if (!p.client && p.span.kind == SpanFields.KIND_SERVER && p.span.isChildOf(proxy) && !p.span.proxy()) {
          pending.remove(i);
          counters.get(Outcome.PROXIED).inc();
        }
      }
    }
  }

  private long deadline(SpanFields span, Context ctx, long waitMs) {
    return saturatedAdd(now(span, ctx), waitMs);
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

  static long saturatedAdd(long a, long b) {
    long r = a + b;
    return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
  }

  /**
   * One expiry timer per trace at its earliest deadline (not one per span), dropped as soon as
   * nothing waits, so live timers track waiting traces only. A trace with nothing waiting holds no
   * timer, only the time from which it may be forgotten, at least the dedupe TTL after its last span
   * on the same clock (never moved earlier by a late span). Because both run on the pairing clock, a
   * stopped job forgets nothing while it is down: in event time the spans waiting in a restored
   * snapshot still pair with servers that arrive after the restore, however long the restore took.
   */
  private void reschedule(TraceState trace, TimerService timers, long now) {
    boolean processing = config.timeDomain() == PairingConfig.TimeDomain.PROCESSING;
    long next = trace.earliestDeadline();
    // The timer the trace needs, Long.MIN_VALUE for none (nothing waits, or nothing that can expire). Compared
    // with the one it holds before anything else: a trace that completes in the batch that starts it needs none
    // and holds none, and must not give Flink its key (keyState), which was 8 % of the span chain thread.
    long timer = next == Long.MAX_VALUE ? Long.MIN_VALUE : next;
    if (timer != trace.expiryTimer) {
      keyState.run(); // timers are registered under the current key
      if (trace.expiryTimer != Long.MIN_VALUE) {
        if (processing) {
          timers.deleteProcessingTimeTimer(trace.expiryTimer);
        } else {
          timers.deleteEventTimeTimer(trace.expiryTimer);
        }
      }
      if (timer != Long.MIN_VALUE) {
        if (processing) {
          timers.registerProcessingTimeTimer(timer);
        } else {
          timers.registerEventTimeTimer(timer);
        }
      }
      trace.expiryTimer = timer;
    }
    if (trace.pending.isEmpty()) {
      trace.forgetAt = Math.max(trace.forgetAt, saturatedAdd(now, dedupeTtlMs));
      lowestForgetAtWritten = Math.min(lowestForgetAtWritten, trace.forgetAt);
    } else {
      trace.forgetAt = Long.MIN_VALUE;
    }
  }

  /** The pairing state, for the {@link CompletedTraceSweep} (known once the function is open). */
  ValueStateDescriptor<TraceState> stateDescriptor() {
    return descriptor;
  }

  /** Whether a trace has nothing waiting and its dedupe memory ran out by {@code now} on the pairing clock. */
  static boolean forgettable(TraceState trace, long now) {
    return trace != null && forgettable(trace.pending.isEmpty(), trace.forgetAt, now);
  }

  /** {@link #forgettable(TraceState, long)} of a trace known by these two fields only. */
  static boolean forgettable(boolean nothingWaits, long forgetAt, long now) {
    return nothingWaits && forgetAt <= now;
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<EdgeEvent> out) throws Exception {
    TraceState trace = read(ctx.getCurrentKey());
    if (trace == null) {
      return;
    }
    boolean processing = config.timeDomain() == PairingConfig.TimeDomain.PROCESSING;
    if (processing != (ctx.timeDomain() == TimeDomain.PROCESSING_TIME)) {
      // A wall-clock keep-alive timer of a snapshot taken before cleanup timers (same state slot).
      if (timestamp == trace.forgetAt) {
        trace.forgetAt = Long.MIN_VALUE;
        reschedule(trace, ctx.timerService(), ctx.timerService().currentWatermark());
        write(ctx.getCurrentKey(), trace);
      }
      return;
    }
    if (timestamp == trace.forgetAt && timestamp != trace.expiryTimer) {
      // The cleanup timer of an earlier build's snapshot; this build sweeps instead of setting one.
      if (trace.pending.isEmpty()) {
        clear(ctx.getCurrentKey()); // the dedupe TTL passed since the trace's last span
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
      if (p.client) {
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
    write(ctx.getCurrentKey(), trace);
  }
}
