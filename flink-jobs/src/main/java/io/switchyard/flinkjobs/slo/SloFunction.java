package io.switchyard.flinkjobs.slo;

import io.switchyard.flinkjobs.serde.ProtoTypeInfo;
import io.switchyard.flinkjobs.slo.spec.AlertPolicy;
import io.switchyard.flinkjobs.slo.spec.OpenSloParser;
import io.switchyard.flinkjobs.slo.spec.SloSpec;
import io.switchyard.flinkjobs.slo.spec.SloSpecException;
import io.switchyard.model.v1.AlertState;
import io.switchyard.model.v1.SloAlertRecord;
import io.switchyard.model.v1.SloStatusRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.TaskInfo;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps exact (good, total) counts per SLO and aggregation window for the SLO's target, evaluates
 * the SLI, the rolling budget and the multi-window burn-rate alerts each time event time passes a
 * window end, and emits status records plus alert transitions. Definitions arrive as broadcast state
 * from the compacted definitions topic, so a change applies without a restart. Counting for an SLO
 * starts when its definition arrives; a changed definition restarts its counts (they may mean
 * something else now).
 */
public class SloFunction extends KeyedBroadcastProcessFunction<String, SliSample, SloDefinitionChange, SloStatusRecord> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(SloFunction.class);
  /** Broadcast state: SLO name -> published YAML. */
  public static final MapStateDescriptor<String, String> DEFINITIONS =
      new MapStateDescriptor<>("slo-definitions", Types.STRING, Types.STRING);
  public static final OutputTag<SloAlertRecord> ALERTS = new OutputTag<>("slo-alerts", ProtoTypeInfo.forMessage(SloAlertRecord.class));

  /** "slo|windowEnd|series" -> {good, total}. */
  static final MapStateDescriptor<String, double[]> COUNTS =
      new MapStateDescriptor<>("slo-counts", Types.STRING, TypeInformation.of(double[].class));
  /** "slo|alert" -> firing since. */
  private static final MapStateDescriptor<String, Long> FIRING = new MapStateDescriptor<>("slo-firing", Types.STRING, Types.LONG);
  /** "slo|alert" -> since when the alert's condition has held (an AlertPolicy's alertAfter counts from there). */
  private static final MapStateDescriptor<String, Long> BREACHING =
      new MapStateDescriptor<>("slo-breaching", Types.STRING, Types.LONG);
  /**
   * "slo|" -> a calendar SLO's folded counts, {period start, up to, good, total, spent slices}: the windows of its
   * period older than its alert windows and the allowed lateness, summed (see {@link SloEvaluator.Folded}).
   */
  private static final MapStateDescriptor<String, double[]> FOLDED =
      new MapStateDescriptor<>("slo-folded", Types.STRING, TypeInformation.of(double[].class));
  /** The tick of the last evaluation (a window's last millisecond). */
  private static final ValueStateDescriptor<Long> LAST_EVALUATED = new ValueStateDescriptor<>("slo-last-evaluated", Types.LONG);

  private final AlertPolicy alertPolicy;
  private final Duration aggregationWindow;
  private final Duration allowedLateness;
  private transient SloEvaluator evaluator;
  private transient MapState<String, double[]> counts;
  private transient MapState<String, Long> firing;
  private transient MapState<String, Long> breaching;
  private transient MapState<String, double[]> folded;
  private transient ValueState<Long> lastEvaluated;
  private transient Map<String, SloSpec> parsed;
  private transient Counter rejected;
  private transient LongCounter samplesCounted;
  private transient LongCounter samplesUnmatched;
  private transient Counter samplesAfterFold;
  private transient LongCounter evaluations;
  private transient LongCounter definitionsApplied;

  /** With the job's default allowed lateness, 5 minutes. */
  public SloFunction(AlertPolicy alertPolicy, Duration aggregationWindow) {
    this(alertPolicy, aggregationWindow, Duration.ofMinutes(5));
  }

  /**
   * @param allowedLateness how long after a window closed it may still be re-emitted (the aggregation's
   *     {@code --allowed-lateness}): a calendar SLO's windows are folded into its period's totals only after that
   */
  public SloFunction(AlertPolicy alertPolicy, Duration aggregationWindow, Duration allowedLateness) {
    this.alertPolicy = alertPolicy;
    this.aggregationWindow = aggregationWindow;
    this.allowedLateness = allowedLateness;
  }

  @Override
  public void open(OpenContext openContext) {
    evaluator = new SloEvaluator(alertPolicy, aggregationWindow);
    counts = getRuntimeContext().getMapState(COUNTS);
    firing = getRuntimeContext().getMapState(FIRING);
    breaching = getRuntimeContext().getMapState(BREACHING);
    folded = getRuntimeContext().getMapState(FOLDED);
    lastEvaluated = getRuntimeContext().getState(LAST_EVALUATED);
    parsed = new HashMap<>();
    rejected = getRuntimeContext().getMetricGroup().counter("rejected_slo_definitions");
    // Accumulators as well as metrics: a job client (tests, `flink list`) can read them.
    samplesCounted = accumulator("slo_samples_counted");
    samplesUnmatched = accumulator("slo_samples_unmatched");
    samplesAfterFold = getRuntimeContext().getMetricGroup().counter("slo_samples_after_fold");
    evaluations = accumulator("slo_evaluations");
    definitionsApplied = accumulator("slo_definitions_applied");
  }

  private LongCounter accumulator(String name) {
    LongCounter c = new LongCounter();
    getRuntimeContext().addAccumulator(name, c);
    return c;
  }

  /** The parsed SLO of a published YAML, cached by its text. */
  private SloSpec spec(String name, String yaml) {
    SloSpec s = parsed.get(yaml);
    if (s == null) {
      try {
        s = OpenSloParser.parsePublished(yaml, name, aggregationWindow, alertPolicy).stream().filter(x -> x.name().equals(name)).findFirst().orElse(null);
      } catch (SloSpecException e) {
        s = null;
      }
      if (s != null) {
        parsed.put(yaml, s);
      }
    }
    return s;
  }

  private List<SloSpec> slosFor(String target, ReadOnlyBroadcastState<String, String> defs) throws Exception {
    List<SloSpec> out = new ArrayList<>();
    for (Map.Entry<String, String> e : defs.immutableEntries()) {
      SloSpec s = spec(e.getKey(), e.getValue());
      if (s != null && s.target().key().equals(target)) {
        out.add(s);
      }
    }
    out.sort((a, b) -> a.name().compareTo(b.name()));
    return out;
  }

  @Override
  public void processElement(SliSample sample, ReadOnlyContext ctx, Collector<SloStatusRecord> out) throws Exception {
    List<SloSpec> slos = slosFor(ctx.getCurrentKey(), ctx.getBroadcastState(DEFINITIONS));
    boolean counted = false;
    for (SloSpec slo : slos) {
      if (!slo.target().namespace().isEmpty() && !slo.target().namespace().equals(sample.namespace)) {
        continue;
      }
      double[] f = slo.calendar() == null ? null : folded.get(slo.name() + "|");
      if (f != null && sample.windowEndMs <= (long) f[1]) {
        // Re-emitted after its window was folded (later than the allowed lateness): adding it would count it twice.
        samplesAfterFold.inc();
        continue;
      }
      // A re-emitted (late-updated) window replaces its earlier counts: put, never add.
      counts.put(slo.name() + "|" + sample.windowEndMs + "|" + sample.series, new double[] {sample.good(slo), sample.total});
      counted = true;
    }
    (counted ? samplesCounted : samplesUnmatched).add(1);
    if (counted) {
      long tick = sample.windowEndMs - 1;
      Long last = lastEvaluated.value();
      if (last != null && tick <= last) {
        tick = last + aggregationWindow.toMillis();
      }
      ctx.timerService().registerEventTimeTimer(tick);
      // Data-driven evaluation as well as timers: a sample of the window ending at E means event time has
      // passed E, so every window before it is complete (a late re-emission overwrites and the next
      // evaluation corrects). This keeps SLOs evaluating in a running job whatever holds the operator's
      // combined watermark back (the broadcast definitions input has no event time of its own).
      long completeTick = sample.windowEndMs - aggregationWindow.toMillis() - 1;
      long from = last == null ? completeTick : last + aggregationWindow.toMillis();
      if (completeTick - from > MAX_CATCH_UP_WINDOWS * aggregationWindow.toMillis()) {
        from = completeTick - MAX_CATCH_UP_WINDOWS * aggregationWindow.toMillis();
      }
      for (long t = from; t <= completeTick; t += aggregationWindow.toMillis()) {
        evaluate(t, ctx, out);
      }
    }
  }

  /** At most this many missed windows are evaluated one by one when samples resume after a gap. */
  private static final int MAX_CATCH_UP_WINDOWS = 120;

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<SloStatusRecord> out) throws Exception {
    if (!evaluate(timestamp, ctx, out)) {
      return;
    }
    // Keep ticking while any counts remain, so alerts resolve even when the target's traffic stops.
    // At the end of a bounded input (watermark at +inf) ticking would only replay empty minutes.
    boolean endOfInput = ctx.timerService().currentWatermark() == Long.MAX_VALUE;
    if (!endOfInput && counts.keys().iterator().hasNext()) {
      ctx.timerService().registerEventTimeTimer(timestamp + aggregationWindow.toMillis());
    }
  }

  /** Evaluates every SLO of the current key as of the window ending at {@code timestamp + 1}; false if already done. */
  private boolean evaluate(long timestamp, ReadOnlyContext ctx, Collector<SloStatusRecord> out) throws Exception {
    long now = timestamp + 1; // ticks sit on a window's last millisecond; evaluate as of its end
    Long last = lastEvaluated.value();
    if (last != null && timestamp <= last) {
      return false;
    }
    lastEvaluated.update(timestamp);
    List<SloSpec> slos = slosFor(ctx.getCurrentKey(), ctx.getBroadcastState(DEFINITIONS));
    Map<String, List<SloEvaluator.Counts>> bySlo = new HashMap<>();
    Map<String, List<SloEvaluator.Counts>> toFold = new HashMap<>();
    List<String> expired = new ArrayList<>();
    Map<String, Duration> windows = new HashMap<>();
    Map<String, SloSpec> byName = new HashMap<>();
    Map<String, Long> foldAfter = new HashMap<>();
    for (SloSpec s : slos) {
      windows.put(s.name(), longest(s));
      byName.put(s.name(), s);
      if (s.calendar() != null) {
        foldAfter.put(s.name(), foldHorizon(s));
      }
    }
    for (Map.Entry<String, double[]> e : counts.entries()) {
      String[] parts = e.getKey().split("\\|", 3);
      long end = Long.parseLong(parts[1]);
      Duration keep = windows.get(parts[0]);
      SloSpec s = byName.get(parts[0]);
      if (s != null && s.calendar() != null && foldable(s, end, now, foldAfter.get(s.name()))) {
        toFold.computeIfAbsent(parts[0], k -> new ArrayList<>()).add(new SloEvaluator.Counts(end, e.getValue()[0], e.getValue()[1]));
        expired.add(e.getKey());
        continue;
      }
      if (keep == null || end <= now - keep.toMillis()) {
        expired.add(e.getKey());
        continue;
      }
      if (end > now) {
        continue; // a later window, already counted: it belongs to a later evaluation
      }
      bySlo.computeIfAbsent(parts[0], k -> new ArrayList<>()).add(new SloEvaluator.Counts(end, e.getValue()[0], e.getValue()[1]));
    }
    for (String k : expired) {
      counts.remove(k);
    }
    for (Map.Entry<String, List<SloEvaluator.Counts>> e : toFold.entrySet()) {
      fold(byName.get(e.getKey()), e.getValue());
    }
    for (SloSpec slo : slos) {
      List<SloEvaluator.Counts> c = bySlo.getOrDefault(slo.name(), List.of());
      double[] f = slo.calendar() == null ? null : folded.get(slo.name() + "|");
      SloEvaluator.Folded periodFolded = f == null ? null : new SloEvaluator.Folded((long) f[0], (long) f[1], f[2], f[3], f[4]);
      Map<String, Long> since = new HashMap<>();
      Map<String, Long> held = new HashMap<>();
      for (AlertPolicy.Alert a : evaluator.alerts(slo)) {
        Long s = firing.get(slo.name() + "|" + a.name());
        if (s != null) {
          since.put(a.name(), s);
        }
        Long h = breaching.get(slo.name() + "|" + a.name());
        if (h != null) {
          held.put(a.name(), h);
        }
      }
      SloEvaluator.Result r = evaluator.evaluate(slo, c, now, since, held, periodFolded);
      evaluations.add(1);
      out.collect(r.status());
      for (AlertPolicy.Alert a : evaluator.alerts(slo)) {
        String key = slo.name() + "|" + a.name();
        Long h = r.breachingSince().get(a.name());
        if (h == null) {
          if (held.containsKey(a.name())) {
            breaching.remove(key);
          }
        } else if (!h.equals(held.get(a.name()))) {
          breaching.put(key, h);
        }
      }
      for (AlertState a : r.status().getAlertsList()) {
        boolean was = since.containsKey(a.getName());
        if (a.getFiring() != was) {
          String key = slo.name() + "|" + a.getName();
          if (a.getFiring()) {
            firing.put(key, now);
          } else {
            firing.remove(key);
          }
          double[] rates = r.burnRates().get(a.getName());
          ctx.output(ALERTS, SloAlertRecord.newBuilder().setSchemaVersion(SloEvaluator.SCHEMA_VERSION).setSlo(slo.name())
              .setAlert(a.toBuilder().setSinceUnixMs(a.getFiring() ? now : since.get(a.getName())))
              .setLongBurnRate(rates[0]).setShortBurnRate(rates[1]).setTransitionUnixMs(now).build());
        }
      }
    }
    return true;
  }

  /**
   * Whether a calendar SLO's window ending at {@code end} is folded into its period's totals at {@code now}: once it
   * (under a sliced budget, its slice) lies beyond every alert window and the allowed lateness, so that no alert
   * looks at it and no re-emission replaces it any more. A year-long period then keeps as few windows as its alerts
   * look back over.
   */
  private static boolean foldable(SloSpec s, long end, long now, long horizonMs) {
    if (s.budgeting().sliced()) {
      long slice = s.budgeting().sliceWindow().toMillis();
      long sliceEnd = (Math.floorDiv(end - 1, slice) + 1) * slice;
      return sliceEnd <= now - horizonMs - slice;
    }
    return end <= now - horizonMs;
  }

  /** How far back a calendar SLO's windows stay unfolded: its longest alert window or the allowed lateness, and a margin. */
  private long foldHorizon(SloSpec s) {
    Duration horizon = allowedLateness;
    for (AlertPolicy.Alert a : evaluator.alerts(s)) {
      if (a.longWindow().compareTo(horizon) > 0) {
        horizon = a.longWindow();
      }
      if (a.shortWindow().compareTo(horizon) > 0) {
        horizon = a.shortWindow();
      }
    }
    return horizon.toMillis() + 2 * aggregationWindow.toMillis();
  }

  /**
   * Adds {@code windows} (oldest first) to their SLO's folded totals: a window of another period than the totals'
   * starts them afresh (the periods follow each other, and so do the windows folded). Under a sliced budget whole
   * slices come together (see {@link #foldable}), and each adds what it spent as a complete slice.
   */
  private void fold(SloSpec s, List<SloEvaluator.Counts> windows) throws Exception {
    java.util.TreeMap<Long, double[]> units = new java.util.TreeMap<>();
    long slice = s.budgeting().sliced() ? s.budgeting().sliceWindow().toMillis() : 0;
    for (SloEvaluator.Counts c : windows) {
      long unitEnd = slice > 0 ? (Math.floorDiv(c.windowEndMs() - 1, slice) + 1) * slice : c.windowEndMs();
      double[] gt = units.computeIfAbsent(unitEnd, k -> new double[2]);
      gt[0] += c.good();
      gt[1] += c.total();
    }
    String key = s.name() + "|";
    double[] f = folded.get(key);
    for (Map.Entry<Long, double[]> u : units.entrySet()) {
      long periodStart = s.calendar().period(u.getKey())[0];
      if (f == null || (long) f[0] != periodStart) {
        f = new double[] {periodStart, 0, 0, 0, 0};
      }
      double[] gt = u.getValue();
      f[1] = Math.max(f[1], u.getKey());
      f[2] += gt[0];
      f[3] += gt[1];
      f[4] += slice > 0 ? SloEvaluator.spentBy(gt[0], gt[1], s.budgeting()) : 0;
    }
    if (f != null) {
      folded.put(key, f);
    }
  }

  /**
   * How far back counts are kept: the longest window evaluated (a calendar window's longest period), plus the slice
   * still filling up for Timeslices.
   */
  private Duration longest(SloSpec s) {
    Duration d = s.longestWindow();
    for (AlertPolicy.Alert a : evaluator.alerts(s)) {
      if (a.longWindow().compareTo(d) > 0) {
        d = a.longWindow();
      }
    }
    if (s.budgeting().sliced()) {
      long slice = s.budgeting().sliceWindow().toMillis();
      d = Duration.ofMillis((d.toMillis() + slice - 1) / slice * slice + slice);
    }
    return d;
  }

  @Override
  public void processBroadcastElement(SloDefinitionChange change, Context ctx, Collector<SloStatusRecord> out) throws Exception {
    BroadcastState<String, String> defs = ctx.getBroadcastState(DEFINITIONS);
    String previous = defs.get(change.name);
    if (change.yaml == null) {
      if (previous != null) {
        defs.remove(change.name);
        SloSpec removed = spec(change.name, previous);
        resolveFiring(removed, ctx);
        forget(change.name, ctx);
        if (removed != null && ownsKey(removed.target().key())) {
          out.collect(removal(change.name));
        }
        LOG.info("SLO {} removed", change.name);
      }
      return;
    }
    if (change.yaml.equals(previous)) {
      return;
    }
    SloSpec spec;
    try {
      List<SloSpec> specs = OpenSloParser.parsePublished(change.yaml, change.sourceFile.isEmpty() ? change.name : change.sourceFile,
          aggregationWindow, alertPolicy);
      spec = specs.stream().filter(s -> s.name().equals(change.name)).findFirst()
          .orElseThrow(() -> new SloSpecException(change.sourceFile, 0, "the record's key '" + change.name + "' names no SLO in its YAML"));
    } catch (SloSpecException | RuntimeException e) {
      // The last good definition keeps being evaluated; a record from any producer must not fail the job.
      rejected.inc();
      LOG.warn("SLO definition rejected, keeping the previous one: {}", e.getMessage());
      return;
    }
    defs.put(change.name, change.yaml);
    definitionsApplied.add(1);
    if (previous != null) {
      resolveFiring(spec(change.name, previous), ctx);
      forget(change.name, ctx);
    } else if (ownsKey(spec.target().key())) {
      // A new SLO is listed at once, with no events yet, instead of staying invisible until its target has
      // traffic (a typo in its target would otherwise look like no SLO at all). Only the subtask that will
      // evaluate it emits, so the record is written once and precedes its evaluations in the topic.
      out.collect(evaluator.evaluate(spec, List.of(), windowEnd(ctx), Map.of()).status());
    }
    LOG.info("SLO {} applied", change.name);
  }

  /**
   * The status the sink writes as a tombstone, so readers of the compacted status topic (the topology API)
   * drop a removed SLO and its alert states instead of showing its last status forever.
   */
  public static SloStatusRecord removal(String name) {
    return SloStatusRecord.newBuilder().setName(name).build();
  }

  /** True for {@link #removal}: every evaluated status names its SLI kind. */
  public static boolean isRemoval(SloStatusRecord status) {
    return status.getSliKind().isEmpty();
  }

  private boolean ownsKey(String key) {
    TaskInfo task = getRuntimeContext().getTaskInfo();
    return KeyGroupRangeAssignment.assignKeyToParallelOperator(key, task.getMaxNumberOfParallelSubtasks(),
        task.getNumberOfParallelSubtasks()) == task.getIndexOfThisSubtask();
  }

  /** The end of the newest window event time has passed, else of the current wall-clock window. */
  private long windowEnd(Context ctx) {
    long watermark = ctx.currentWatermark();
    long t = watermark > Long.MIN_VALUE && watermark < Long.MAX_VALUE - 1 ? watermark : ctx.currentProcessingTime();
    long w = aggregationWindow.toMillis();
    return Math.floorDiv(t, w) * w;
  }

  /**
   * Writes a resolved transition for each alert of the old definition that is firing, before {@link #forget}
   * drops it: readers of the alerts topic only learn an alert ended from such a record, so without it an
   * alert of a removed or changed SLO would stay firing for them for good. Burn rates are 0: the counts
   * that backed them go with the definition. Only the subtask holding the SLO's keyed state has any.
   */
  private void resolveFiring(SloSpec old, Context ctx) throws Exception {
    if (old == null) {
      return;
    }
    Map<String, Long> since = new HashMap<>();
    String prefix = old.name() + "|";
    ctx.applyToKeyedState(FIRING, (key, state) -> {
      for (Map.Entry<String, Long> e : state.entries()) {
        if (e.getKey().startsWith(prefix)) {
          since.put(e.getKey().substring(prefix.length()), e.getValue());
        }
      }
    });
    if (since.isEmpty()) {
      return;
    }
    // As of the SLO's last evaluation, the time of its last status and transitions.
    long[] last = {Long.MIN_VALUE};
    ctx.applyToKeyedState(LAST_EVALUATED, (key, state) -> {
      if (key.equals(old.target().key()) && state.value() != null) {
        last[0] = state.value() + 1;
      }
    });
    long now = last[0] != Long.MIN_VALUE ? last[0] : windowEnd(ctx);
    for (AlertState a : evaluator.evaluate(old, List.of(), now, Map.of()).status().getAlertsList()) {
      Long s = since.get(a.getName());
      if (s != null) {
        ctx.output(ALERTS, SloAlertRecord.newBuilder().setSchemaVersion(SloEvaluator.SCHEMA_VERSION).setSlo(old.name())
            .setAlert(a.toBuilder().setFiring(false).setSinceUnixMs(s)).setTransitionUnixMs(now).build());
      }
    }
  }

  /** Drops the SLO's counts (its folded totals too) and, as they no longer back them, its firing and breaching alerts. */
  private void forget(String slo, Context ctx) throws Exception {
    forget(slo, ctx, COUNTS);
    forget(slo, ctx, FIRING);
    forget(slo, ctx, BREACHING);
    forget(slo, ctx, FOLDED);
  }

  private static <V> void forget(String slo, Context ctx, MapStateDescriptor<String, V> descriptor) throws Exception {
    ctx.applyToKeyedState(descriptor, (key, state) -> {
      List<String> drop = new ArrayList<>();
      for (String k : state.keys()) {
        if (k.startsWith(slo + "|")) {
          drop.add(k);
        }
      }
      for (String k : drop) {
        state.remove(k);
      }
    });
  }
}
