package io.switchyard.flinkjobs.mesh;

import io.switchyard.flinkjobs.graph.EdgeEvent;
import io.switchyard.flinkjobs.graph.PairingConfig.TimeDomain;
import io.switchyard.model.v1.AccessLogRecord;
import io.switchyard.model.v1.AccessLogRecord.Reporter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;
import java.util.function.ToLongFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Counts each request once from the access logs of both its sidecars without relying on peer
 * metadata: the source and destination reports of one request carry the same request id
 * (x-request-id) and authority, so keyed by those the first report waits for the second and the two
 * become one edge ({@link AccessLogEdges#edge}). A report still alone after the wait counts by itself.
 * TCP logs carry no request id; their two reports share the connection between the sidecars instead
 * (the caller's upstream local/remote address is the callee's downstream remote/local address), so they
 * pair under that pair of addresses. Records that cannot be paired (no request id and no connection,
 * no reporter, or traffic leaving the mesh) follow the reporter rule at once and touch no state.
 *
 * <p>State per key is one {@link PairState}. Once its wait ends (its reports paired, or counted alone by
 * the timer of its latest waiting report) it stays as dedupe memory for {@code memory} more, so a copy
 * of a report that comes after the wait (an export retried by a client, entries replayed after an
 * ingest restart) is still dropped; the job gives it the allowed lateness plus the window, after which
 * the copy's edge would fall in a window closed for good anyway. Run by {@link AccessLogPairingOperator}
 * in event time, a key whose reports all paired holds no timer: its memory counts as gone once the
 * watermark reaches its {@code due} plus {@code memory}, exactly when a timer would have deleted it, and
 * the operator's sweep deletes it later. Elsewhere a second timer deletes it. No Flink state
 * TTL on purpose: it runs on the wall clock, so a job stopped longer than the TTL would come back with
 * its waiting reports gone and never count them (the span pairing lost its waiting spans that way).
 */
public final class AccessLogPairing extends KeyedProcessFunction<String, AccessLogRecord, EdgeEvent> {
  private static final long serialVersionUID = 1L;

  /** How each record ended up, counted as {@code outcome.<name>.records} on the operator. */
  enum Outcome { PAIRED, LONE, DROPPED_DUPLICATE, REPORTER_RULE, LATE_PARTNER }

  private final long waitMs;
  /** How long a key is remembered after its wait ended, to drop late copies of its reports. */
  private final long memoryMs;
  private final TimeDomain timeDomain;
  private transient ValueStateDescriptor<PairState> descriptor;
  private transient ValueState<PairState> state;
  private transient Map<Outcome, Counter> counters;
  /**
   * Set by {@link AccessLogPairingOperator} in event time: the latest time up to which a key's dedupe
   * memory has run out (the watermark, or more right after a restore). Then only a key with a report
   * still waiting holds a timer; {@code null} (processing time, or run as a plain process function):
   * every report that raises a key's {@code due} registers a timer, as before the sweep.
   */
  transient ToLongFunction<TimerService> expiredUpTo;

  public AccessLogPairing(Duration wait, Duration memory, TimeDomain timeDomain) {
    if (wait.isNegative() || wait.isZero()) {
      throw new IllegalArgumentException("access-log pairing wait must be positive: " + wait);
    }
    if (memory.isNegative()) {
      throw new IllegalArgumentException("access-log dedupe memory must not be negative: " + memory);
    }
    this.waitMs = wait.toMillis();
    this.memoryMs = memory.toMillis();
    this.timeDomain = timeDomain;
  }

  /**
   * The pairing key: request id and authority (both sidecars log the same Host), so the hops of one
   * request tree that share a propagated x-request-id stay apart; for a TCP connection, its two ends.
   * Records that are not paired get a key that spreads them over the subtasks; they never touch state.
   */
  public static String key(AccessLogRecord r) {
    if (!pairable(r)) {
      return r.getNodeId() + '\n' + r.getAuthority() + '\n' + r.getDestinationService();
    }
    if (r.getRequestId().isEmpty()) {
      // A leading newline keeps a connection's key apart from any request id (a header has no newline).
      return "\n" + r.getConnectionClientAddress() + '\n' + r.getConnectionServerAddress();
    }
    return r.getRequestId() + '\n' + r.getAuthority();
  }

  static boolean pairable(AccessLogRecord r) {
    return (!r.getRequestId().isEmpty() || byConnection(r)) && r.getReporter() != Reporter.REPORTER_UNSPECIFIED
        && r.getReporter() != Reporter.UNRECOGNIZED && !(r.getReporter() == Reporter.REPORTER_SOURCE && AccessLogEdges.leavesMesh(r));
  }

  /**
   * Only TCP pairs by connection: an HTTP connection carries many requests, a TCP log is one connection.
   * Both ends are needed; an address without a port (a pipe, a partial log) would not tell connections apart.
   */
  private static boolean byConnection(AccessLogRecord r) {
    return r.getProtocol() == AccessLogRecord.Protocol.PROTOCOL_TCP
        && hasPort(r.getConnectionClientAddress()) && hasPort(r.getConnectionServerAddress());
  }

  private static boolean hasPort(String address) {
    int colon = address.lastIndexOf(':');
    return colon > 0 && colon < address.length() - 1 && !address.endsWith(":0");
  }

  long waitMs() {
    return waitMs;
  }

  long memoryMs() {
    return memoryMs;
  }

  TimeDomain timeDomain() {
    return timeDomain;
  }

  @Override
  public void open(OpenContext openContext) {
    descriptor = new ValueStateDescriptor<>("access-log-pairing", TypeInformation.of(PairState.class));
    state = getRuntimeContext().getState(descriptor);
    counters = new EnumMap<>(Outcome.class);
    for (Outcome o : Outcome.values()) {
      counters.put(o, getRuntimeContext().getMetricGroup().addGroup("outcome", o.name().toLowerCase()).counter("records"));
    }
  }

  /** The pairing state, for the operator's sweep (its serializer is set once the function is open). */
  ValueStateDescriptor<PairState> stateDescriptor() {
    return descriptor;
  }

  long count(Outcome outcome) {
    return counters.get(outcome).getCount();
  }

  @Override
  public void processElement(AccessLogRecord r, Context ctx, Collector<EdgeEvent> out) throws Exception {
    if (!pairable(r)) {
      counters.get(Outcome.REPORTER_RULE).inc();
      AccessLogEdges.toEdge(r).ifPresent(out::collect);
      return;
    }
    pair(List.of(r), true, ctx.timerService(), i -> { }, out);
  }

  /**
   * Pairs the current key's pairable reports, in their order of arrival, with what its state holds:
   * one state read and at most one write for all of them. A report paired with another of the same
   * list meets its partner in hand, so neither is written to state as bytes nor parsed back.
   * {@code beforeEach} is called with a report's index before its edges are collected (to stamp them).
   * Without {@code mayBeInState} (the key is surely not in the state) the state is not read.
   *
   * @return whether the key was written without having been found in the state
   */
  boolean pair(List<AccessLogRecord> reports, boolean mayBeInState, TimerService timers, IntConsumer beforeEach,
      Collector<EdgeEvent> out) throws Exception {
    PairState s = mayBeInState ? state.value() : null;
    boolean fresh = s == null;
    long upTo = expiredUpTo == null ? Long.MIN_VALUE : expiredUpTo.applyAsLong(timers);
    if (s == null || expiredUpTo != null && s.expired(upTo, memoryMs)) {
      // Nothing there, or only dedupe memory that ran out: its timer would have deleted it by now.
      s = new PairState();
    }
    long dueBefore = s.due;
    // Waiting reports: bytes read from state, or messages of this list not written yet.
    List<Object> waiting = new ArrayList<>(Arrays.asList((Object[]) s.waiting));
    boolean changed = false;
    boolean rearm = false;
    for (int i = 0; i < reports.size(); i++) {
      AccessLogRecord r = reports.get(i);
      beforeEach.accept(i);
      boolean source = r.getReporter() == Reporter.REPORTER_SOURCE;
      long start = r.getStartTimeUnixNano();
      if (s.seen(source, start)) {
        // The same report again (an ingest or client retry), within the wait or within the memory after it.
        counters.get(Outcome.DROPPED_DUPLICATE).inc();
        continue;
      }
      changed = true;
      boolean latePartner = waiting.isEmpty() && s.reports(!source) > s.reports(source);
      s.remember(source, start);
      if (latePartner) {
        // Nothing waits, and the other side has reported more of this key's requests than this side: one of
        // them counted alone when its wait ended, and this is its partner, come late (an ingest backlog). The
        // request counted once already; counting this too would count it twice.
        counters.get(Outcome.LATE_PARTNER).inc();
        continue;
      }
      if (!waiting.isEmpty() && s.waitingSource != source) {
        // The oldest report of the other side is this one's partner (usually the only one: several wait
        // only when one request tree calls the same authority more than once with the same request id).
        // The key's state is kept until its memory after the wait ends, to drop copies of either report.
        Object first = waiting.remove(0);
        AccessLogRecord partner = first instanceof AccessLogRecord m ? m : AccessLogRecord.parseFrom((byte[]) first);
        out.collect(source ? AccessLogEdges.edge(r, partner) : AccessLogEdges.edge(partner, r));
        counters.get(Outcome.PAIRED).inc();
        continue;
      }
      boolean firstWaiting = waiting.isEmpty();
      s.waitingSource = source;
      waiting.add(r);
      long due = (timeDomain == TimeDomain.EVENT ? start / 1_000_000 : timers.currentProcessingTime()) + waitMs;
      if (due > s.due) {
        // Every report waiting on a key waits until the latest of their waits ends.
        s.due = due;
        register(timers, due);
      } else if (firstWaiting) {
        // A key remembered after its wait: the timer that ended that wait has fired, so this report needs one.
        rearm = true;
        register(timers, s.due);
      }
    }
    if (expiredUpTo != null && (rearm || !(s.timer && s.due == dueBefore))) {
      // A timer where one was before: while a report still waits (it counts that report alone when the
      // watermark passes its wait, as before; a sweep would come later, after windows may have fired),
      // and for a due the watermark has passed already (a late report), which one-by-one pairing's timer
      // keeps until the next watermark. Otherwise the memory runs out when the watermark reaches due plus
      // the memory (a key remembered past that, e.g. a very late request, is kept until the next watermark).
      s.timer = !waiting.isEmpty() || saturatedAdd(s.due, memoryMs) <= upTo;
      if (s.timer) {
        timers.registerEventTimeTimer(s.due);
      }
    }
    if (changed) {
      byte[][] bytes = new byte[waiting.size()][];
      for (int i = 0; i < bytes.length; i++) {
        Object w = waiting.get(i);
        bytes[i] = w instanceof AccessLogRecord m ? m.toByteArray() : (byte[]) w;
      }
      s.waiting = bytes;
      state.update(s);
    }
    return changed && fresh;
  }

  /** A timer per due where no sweep runs (processing time, or the function run on its own). */
  private void register(TimerService timers, long at) {
    if (expiredUpTo == null && timeDomain == TimeDomain.EVENT) {
      timers.registerEventTimeTimer(at);
    } else if (expiredUpTo == null) {
      timers.registerProcessingTimeTimer(at);
    }
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<EdgeEvent> out) throws Exception {
    PairState s = state.value();
    if (s == null || timestamp < s.due) {
      return; // an earlier timer of this key; the latest one ends the wait
    }
    for (byte[] bytes : s.waiting) {
      AccessLogRecord lone = AccessLogRecord.parseFrom(bytes);
      out.collect(s.waitingSource ? AccessLogEdges.edge(lone, null) : AccessLogEdges.edge(null, lone));
      counters.get(Outcome.LONE).inc();
    }
    long forgetAt = saturatedAdd(s.due, memoryMs);
    if (timestamp >= forgetAt) {
      state.clear();
      return;
    }
    boolean update = s.waiting.length > 0;
    s.waiting = PairState.NONE;
    if (expiredUpTo != null) {
      // The sweep deletes the memory once the watermark passes forgetAt; no timer is kept for it.
      update |= s.timer;
      s.timer = false;
    } else {
      register(ctx.timerService(), forgetAt);
    }
    if (update) {
      state.update(s);
    }
  }

  static long saturatedAdd(long a, long b) {
    long sum = a + b;
    return ((a ^ sum) & (b ^ sum)) < 0 ? (a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE) : sum;
  }

  /**
   * One key's pairing state, a Flink POJO (its serializer is Flink's PojoSerializer, never Kryo): the
   * reports waiting for a partner as protobuf bytes, all from one side ({@code waitingSource}), and the
   * start times of every report seen on the key (to drop duplicates) until the pairing's memory after
   * {@code due}, when the wait of its latest waiting report ends.
   */
  public static class PairState {
    static final byte[][] NONE = new byte[0][];
    private static final long[] NO_TIMES = new long[0];
    public byte[][] waiting = NONE;
    public boolean waitingSource;
    public long[] sourceStarts = NO_TIMES;
    public long[] destinationStarts = NO_TIMES;
    public long due = Long.MIN_VALUE;

    public PairState() {}

    /**
     * Whether a timer at {@code due} deletes this state. True for every state written before the sweep
     * (that build set a timer at every due), so it is the default when such a state is restored.
     */
    public boolean timer = true;

    /**
     * Whether this is only dedupe memory that ran out by {@code upTo}, {@code memoryMs} after its wait
     * ended: nothing waits on it and no timer will delete it (one that would have fired by then already did).
     */
    boolean expired(long upTo, long memoryMs) {
      return !timer && waiting.length == 0 && saturatedAdd(due, memoryMs) <= upTo;
    }

    boolean seen(boolean source, long start) {
      for (long t : source ? sourceStarts : destinationStarts) {
        if (t == start) {
          return true;
        }
      }
      return false;
    }

    /** How many of this key's reports from that side are remembered (each once). */
    int reports(boolean source) {
      return source ? sourceStarts.length : destinationStarts.length;
    }

    void remember(boolean source, long start) {
      long[] times = source ? sourceStarts : destinationStarts;
      times = Arrays.copyOf(times, times.length + 1);
      times[times.length - 1] = start;
      if (source) {
        sourceStarts = times;
      } else {
        destinationStarts = times;
      }
    }
  }
}
