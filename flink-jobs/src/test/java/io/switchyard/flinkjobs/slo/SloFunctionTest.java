package io.switchyard.flinkjobs.slo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.switchyard.flinkjobs.slo.spec.AlertPolicy;
import io.switchyard.flinkjobs.slo.spec.SloFixtures;
import io.switchyard.model.LatencyBuckets;
import io.switchyard.model.v1.SloAlertRecord;
import io.switchyard.model.v1.SloStatusRecord;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import io.switchyard.flinkjobs.serde.ProtoTypeInfo;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Burn rates and alert transitions against a hand-computed series (see each assertion's comment). */
class SloFunctionTest {
  static final long T0 = 1_700_000_040_000L - 1_700_000_040_000L % 60_000;
  private static final String TARGET = "service|trace|checkout";
  static final String SLO_YAML = SloFixtures.CHECKOUT_AVAILABILITY;

  private KeyedBroadcastOperatorTestHarness<String, SliSample, SloDefinitionChange, SloStatusRecord> harness;

  /** The operator as the job builds it (default alert policy, 1-minute windows), neither set up nor opened. */
  static KeyedBroadcastOperatorTestHarness<String, SliSample, SloDefinitionChange, SloStatusRecord> newHarness()
      throws Exception {
    return new KeyedBroadcastOperatorTestHarness<>(
        new CoBroadcastWithKeyedOperator<>(new SloFunction(AlertPolicy.DEFAULT, Duration.ofMinutes(1)), List.of(SloFunction.DEFINITIONS)),
        s -> s.target, Types.STRING, 1, 1, 0);
  }

  @BeforeEach
  void start() throws Exception {
    harness = newHarness();
    harness.setup(ProtoTypeInfo.forMessage(SloStatusRecord.class).createSerializer(new SerializerConfigImpl()));
    harness.open();
    harness.processBroadcastElement(new SloDefinitionChange("checkout-availability", SLO_YAML, "checkout.yaml"), 0);
    // In the job the definitions input goes idle; here it simply never holds event time back.
    harness.processBroadcastWatermark(new Watermark(Long.MAX_VALUE - 1));
  }

  @AfterEach
  void stop() throws Exception {
    harness.close();
  }

  /** Minute m's window of the checkout service: total requests, failed ones, no latencies. */
  static SliSample minute(int m, double total, double failed) {
    SliSample s = new SliSample();
    s.target = TARGET;
    s.series = "svc|shop///0";
    s.namespace = "shop";
    s.windowEndMs = T0 + m * 60_000L;
    s.total = total;
    s.failed = failed;
    s.latencyBuckets = new double[LatencyBuckets.COUNT];
    return s;
  }

  /** Feeds minute m's window and moves event time past its end, as the window operator would. */
  private void feed(int m, double total, double failed) throws Exception {
    SliSample s = minute(m, total, failed);
    harness.processElement(new StreamRecord<>(s, s.windowEndMs - 1));
    harness.processWatermark(new Watermark(s.windowEndMs - 1));
  }

  private List<SloAlertRecord> alerts() {
    var side = harness.getSideOutput(SloFunction.ALERTS);
    if (side == null) {
      return List.of();
    }
    return side.stream().map(StreamRecord::getValue).collect(Collectors.toList());
  }

  private SloStatusRecord lastStatus() {
    List<SloStatusRecord> out = harness.extractOutputValues();
    return out.get(out.size() - 1);
  }

  @Test
  void anAlertPolicysAlertAfterCountsAcrossEvaluationsInTheOperatorsState() throws Exception {
    harness.processBroadcastElement(new SloDefinitionChange("checkout-availability", SloFixtures.CHECKOUT_WITH_ALERT_POLICIES,
        "checkout.yaml"), 0);
    for (int m = 1; m <= 60; m++) {
      feed(m, 100, 0);
    }
    // Minute 61: slow-burn (> 1x over 6h) tickets at once; fast-burn's 1h burns 8.3x.
    feed(61, 100, 50);
    assertThat(alerts()).extracting(a -> a.getAlert().getName() + "=" + a.getAlert().getFiring()).containsExactly("checkout-slow-burn=true");
    // From minute 62 fast-burn's condition holds (16.7x >= 14.4); it fires 5 minutes later, at 67.
    for (int m = 62; m <= 66; m++) {
      feed(m, 100, 50);
      assertThat(alerts()).as("minute %d", m).hasSize(1);
      assertThat(lastStatus().getAlertsList()).filteredOn(a -> a.getName().equals("checkout-fast-burn")).singleElement()
          .satisfies(a -> assertThat(a.getPendingSinceUnixMs()).isEqualTo(T0 + 62 * 60_000L));
    }
    feed(67, 100, 50);
    assertThat(alerts()).hasSize(2).last().satisfies(a -> {
      assertThat(a.getAlert().getName()).isEqualTo("checkout-fast-burn");
      assertThat(a.getAlert().getFiring()).isTrue();
      assertThat(a.getAlert().getNotificationTargetsList()).containsExactly("oncall");
      assertThat(a.getLongBurnRate()).isEqualTo(a.getShortBurnRate()).isCloseTo(350.0 / 6000 / 0.001, within(1e-9));
      assertThat(a.getTransitionUnixMs()).isEqualTo(T0 + 67 * 60_000L);
    });
  }

  @Test
  void alertsFireAndResolveAtTheHandComputedMinutes() throws Exception {
    for (int m = 1; m <= 60; m++) {
      feed(m, 100, 0);
    }
    assertThat(alerts()).isEmpty();
    assertThat(lastStatus().getTotalEvents()).isEqualTo(6000);
    assertThat(lastStatus().getSli()).isEqualTo(1.0);

    // Minute 61, 20 % errors. Budget 0.001. 1d and 3d windows: 20 bad / 6100 = 0.00328 -> burn 3.28,
    // 2h and 6h short windows the same: ticket-1d (> 3x) and ticket-3d (> 1x) fire.
    feed(61, 100, 20);
    assertThat(alerts()).extracting(a -> a.getAlert().getName() + "=" + a.getAlert().getFiring())
        .containsExactlyInAnyOrder("ticket-1d=true", "ticket-3d=true");
    SloStatusRecord s61 = lastStatus();
    assertThat(s61.getBurnRatesList()).anySatisfy(b -> {
      assertThat(b.getWindow()).isEqualTo("1d");
      assertThat(b.getRate()).isCloseTo(20.0 / 6100 / 0.001, within(1e-9));
    });

    // Minute 62: 6h window 40 / 6200 -> 6.45 > 6, 30m window 40 / 3000 -> 13.3 > 6: page-6h fires.
    feed(62, 100, 20);
    assertThat(alerts()).hasSize(3).last().satisfies(a -> {
      assertThat(a.getAlert().getName()).isEqualTo("page-6h");
      assertThat(a.getAlert().getFiring()).isTrue();
      assertThat(a.getLongBurnRate()).isCloseTo(40.0 / 6200 / 0.001, within(1e-9));
      assertThat(a.getShortBurnRate()).isCloseTo(40.0 / 3000 / 0.001, within(1e-9));
      assertThat(a.getTransitionUnixMs()).isEqualTo(T0 + 62 * 60_000L);
    });

    // Minutes 63, 64: 1h window holds 60 / 6000 -> 10 and 80 / 6000 -> 13.3, below 14.4: no page-1h yet.
    feed(63, 100, 20);
    feed(64, 100, 20);
    assertThat(alerts()).hasSize(3);
    // Minute 65: 1h window (minutes 6..65) holds 100 / 6000 -> 16.7 > 14.4, 5m window 100 / 500 -> 200.
    feed(65, 100, 20);
    assertThat(alerts()).hasSize(4).last().satisfies(a -> {
      assertThat(a.getAlert().getName()).isEqualTo("page-1h");
      assertThat(a.getAlert().getFiring()).isTrue();
      assertThat(a.getAlert().getThreshold()).isCloseTo(14.4, within(1e-9));
    });
    SloStatusRecord s65 = lastStatus();
    assertThat(s65.getTotalEvents()).isEqualTo(6500);
    assertThat(s65.getGoodEvents()).isEqualTo(6400);
    assertThat(s65.getSli()).isCloseTo(6400.0 / 6500, within(1e-12));
    assertThat(s65.getErrorBudgetRemaining()).isCloseTo(1 - (100.0 / 6500) / 0.001, within(1e-9));

    // Clean minutes 66..69: the 5m window still holds minute 65's errors; at 70 it holds none: resolved.
    for (int m = 66; m <= 69; m++) {
      feed(m, 100, 0);
    }
    assertThat(alerts()).hasSize(4);
    feed(70, 100, 0);
    assertThat(alerts()).hasSize(5).last().satisfies(a -> {
      assertThat(a.getAlert().getName()).isEqualTo("page-1h");
      assertThat(a.getAlert().getFiring()).isFalse();
      assertThat(a.getAlert().getSinceUnixMs()).isEqualTo(T0 + 65 * 60_000L);
    });
  }

  @Test
  void aSevenDaySloAlertsOverItsScaledWindowsAndASteadyOneTimesBurnRaisesNoTicket() throws Exception {
    // 99 % of checkout over 7 days, beside the 30-day SLO: windows 14m/1m > 14.4x ... 1008m/84m > 1x.
    harness.processBroadcastElement(new SloDefinitionChange("checkout-week", SLO_YAML.replace("checkout-availability", "checkout-week")
        .replace("{duration: 30d,", "{duration: 7d,").replace("{target: 0.999}", "{target: 0.99}"), "week.yaml"), 0);
    // 1020 minutes at 1 % errors: burn rate 1 over every window, which no threshold exceeds (the 30-day table read
    // literally would ticket at 0.7x over 1d and 0.23x over 3d from the first day on).
    for (int m = 1; m <= 1020; m++) {
      feed(m, 1000, 10);
    }
    assertThat(week()).isEmpty();
    assertThat(lastStatus().getName()).isEqualTo("checkout-week");
    assertThat(lastStatus().getAlertsList()).extracting(a -> a.getLongWindow() + "/" + a.getShortWindow())
        .containsExactly("14m/1m", "84m/7m", "336m/28m", "1008m/84m");
    // Then 25 % errors from minute 1021. ticket-3d: the 1008m window holds (10080 + 240) / 1008000 -> 1.02 > 1 and the
    // 84m one (840 + 240) / 84000 -> 1.29: fires at 1021. page-1h with k bad minutes in its 14m window:
    // (140 + 240 k) / 14000 / 0.01 -> 13x at k = 7, 14.7x at k = 8: fires at 1028. page-6h's 84m window stays under 6x
    // and ticket-1d's 336m one under 3x for ten bad minutes.
    for (int m = 1021; m <= 1030; m++) {
      feed(m, 1000, 250);
    }
    // Back to 1 %: the 1m window burns 1x at 1031 and page-1h resolves; ticket-3d holds while its 84m window has the burst.
    feed(1031, 1000, 10);
    assertThat(week()).containsExactly("ticket-3d fired @1021", "page-1h fired @1028", "page-1h resolved @1031");
  }

  /** Alert transitions of the 7-day SLO as "alert fired|resolved @minute". */
  private List<String> week() {
    return alerts().stream().filter(a -> a.getSlo().equals("checkout-week")).map(a -> a.getAlert().getName()
        + (a.getAlert().getFiring() ? " fired @" : " resolved @") + (a.getTransitionUnixMs() - T0) / 60_000L).toList();
  }

  @Test
  void aReEmittedWindowReplacesItsCountsInsteadOfAdding() throws Exception {
    feed(1, 100, 0);
    // The same window again after late data: 120 requests in total now, 10 failed.
    SliSample late = minute(1, 120, 10);
    harness.processElement(new StreamRecord<>(late, late.windowEndMs - 1));
    feed(2, 100, 0);
    assertThat(lastStatus().getTotalEvents()).isEqualTo(220);
    assertThat(lastStatus().getGoodEvents()).isEqualTo(210);
  }

  /**
   * Builds before session 39 read a window with neither isRolling nor a calendar as rolling and published it so: the
   * job keeps that meaning for what its state and the compacted topic hold, rather than stop evaluating the SLO.
   */
  @Test
  void aDefinitionPublishedWithABareWindowByAnEarlierBuildIsStillEvaluatedAsRolling() throws Exception {
    harness.processBroadcastElement(new SloDefinitionChange("checkout-legacy", SLO_YAML
        .replace("checkout-availability", "checkout-legacy")
        .replace("timeWindow: [{duration: 30d, isRolling: true}]", "timeWindow: [{duration: 30d}]"), "legacy.yaml"), 1);
    feed(1, 100, 1);

    assertThat(harness.extractOutputValues()).filteredOn(r -> r.getName().equals("checkout-legacy")).last()
        .satisfies(r -> assertThat(r.getTotalEvents()).isEqualTo(100));
  }

  @Test
  void anInvalidDefinitionKeepsTheLastGoodOneAndATombstoneRemovesIt() throws Exception {
    harness.processBroadcastElement(new SloDefinitionChange("checkout-availability",
        SLO_YAML.replace("Occurrences", "Timeslices"), "checkout.yaml"), 1);
    feed(1, 100, 1);
    assertThat(lastStatus().getObjective()).isEqualTo(0.999);
    assertThat(lastStatus().getTotalEvents()).isEqualTo(100);

    harness.processBroadcastElement(new SloDefinitionChange("checkout-availability", null, ""), 2);
    // The removal goes out as the status topic's tombstone, so readers drop the SLO.
    assertThat(lastStatus()).satisfies(s -> {
      assertThat(s.getName()).isEqualTo("checkout-availability");
      assertThat(SloFunction.isRemoval(s)).isTrue();
    });
    int before = harness.extractOutputValues().size();
    feed(2, 100, 0);
    assertThat(harness.extractOutputValues()).hasSize(before);
  }

  @Test
  void aNewSloIsListedAtOnceWithNoEventsBeforeItsTargetHasTraffic() throws Exception {
    // start() applied the definition and no sample has arrived yet.
    assertThat(harness.extractOutputValues()).singleElement().satisfies(s -> {
      assertThat(s.getName()).isEqualTo("checkout-availability");
      assertThat(s.getTotalEvents()).isZero();
      assertThat(s.getSli()).isEqualTo(1.0);
      assertThat(s.getErrorBudgetRemaining()).isEqualTo(1.0);
      assertThat(s.getAlertsList()).isNotEmpty().noneMatch(a -> a.getFiring());
    });
    // The same definition again, or a changed one, keeps the SLO's last status until its next evaluation.
    harness.processBroadcastElement(new SloDefinitionChange("checkout-availability", SLO_YAML, "checkout.yaml"), 1);
    harness.processBroadcastElement(new SloDefinitionChange("checkout-availability",
        SLO_YAML.replace("0.999", "0.99"), "checkout.yaml"), 2);
    assertThat(harness.extractOutputValues()).hasSize(1);
  }

  @Test
  void aRemovedSloResolvesItsFiringAlertsSoARecreatedOneStartsClean() throws Exception {
    List<String> fired = fiveFailedMinutes();
    harness.processBroadcastElement(new SloDefinitionChange("checkout-availability", null, ""), 1);
    // A reader of the alerts topic sees each firing alert end; without these records it stayed firing for good.
    assertResolvedOnce(fired, T0 + 5 * 60_000L);
    harness.processBroadcastElement(new SloDefinitionChange("checkout-availability", SLO_YAML, "checkout.yaml"), 2);
    feed(6, 100, 0);
    assertThat(lastStatus().getTotalEvents()).isEqualTo(100);
    assertThat(lastStatus().getAlertsList()).noneMatch(a -> a.getFiring());
    assertResolvedOnce(fired, T0 + 5 * 60_000L);
  }

  @Test
  void aChangedSloResolvesTheFiringAlertsOfItsOldDefinition() throws Exception {
    List<String> fired = fiveFailedMinutes();
    harness.processBroadcastElement(new SloDefinitionChange("checkout-availability",
        SLO_YAML.replace("0.999", "0.99"), "checkout.yaml"), 1);
    assertResolvedOnce(fired, T0 + 5 * 60_000L);
    // The new definition counts from scratch: a clean minute fires nothing and resolves nothing again.
    feed(6, 100, 0);
    assertThat(lastStatus().getObjective()).isEqualTo(0.99);
    assertResolvedOnce(fired, T0 + 5 * 60_000L);
  }

  /** Minutes 1..5 all failed; the names of the alerts then firing (not none). */
  private List<String> fiveFailedMinutes() throws Exception {
    for (int m = 1; m <= 5; m++) {
      feed(m, 100, 100);
    }
    List<String> fired = lastStatus().getAlertsList().stream().filter(a -> a.getFiring()).map(a -> a.getName()).collect(Collectors.toList());
    assertThat(fired).isNotEmpty();
    return fired;
  }

  private void assertResolvedOnce(List<String> names, long at) {
    List<SloAlertRecord> resolved = alerts().stream().filter(a -> !a.getAlert().getFiring()).collect(Collectors.toList());
    assertThat(resolved).extracting(a -> a.getAlert().getName()).containsExactlyInAnyOrderElementsOf(names);
    assertThat(resolved).allSatisfy(a -> {
      assertThat(a.getSlo()).isEqualTo("checkout-availability");
      assertThat(a.getTransitionUnixMs()).isEqualTo(at);
      assertThat(a.getAlert().getSinceUnixMs()).isPositive();
      assertThat(a.getAlert().getThreshold()).isPositive();
    });
  }

  /** The (window, series) counts the operator keeps, of every SLO. */
  private int countedWindows() throws Exception {
    int[] n = {0};
    harness.getOperator().getKeyedStateBackend().applyToAllKeys(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE,
        SloFunction.COUNTS, (key, state) -> state.keys().forEach(k -> n[0]++));
    return n[0];
  }

  @Test
  void aCalendarSlosOlderWindowsAreFoldedIntoItsPeriodSoItsStateStaysThatOfItsAlertWindows() throws Exception {
    // Daily periods in UTC (minute 106 ends at midnight), by events and, under a second name, by hourly slices that
    // must meet 0.99. The alerts of a 1-day SLO look back at most 144m (scaled from 3d), the allowed lateness is 5m:
    // a window is folded once it ended 146m ago, a slice once it ended 146m + 1h ago (its alerts cover whole hours,
    // 180m: 242m + 1h).
    String daily = SLO_YAML.replace("timeWindow: [{duration: 30d, isRolling: true}]",
        "timeWindow: [{duration: 1d, isRolling: false, calendar: {startTime: '2023-01-01 00:00:00', timeZone: UTC}}]");
    String hourly = daily.replace("name: checkout-availability", "name: checkout-hours")
        .replace("budgetingMethod: Occurrences", "budgetingMethod: Timeslices")
        .replace("objectives: [{target: 0.999}]", "objectives: [{target: 0.999, timeSliceTarget: 0.99, timeSliceWindow: 1h}]");
    assertThat(hourly).contains("checkout-hours", "Timeslices");
    harness.processBroadcastElement(new SloDefinitionChange("checkout-availability", daily, "checkout.yaml"), 0);
    harness.processBroadcastElement(new SloDefinitionChange("checkout-hours", hourly, "hours.yaml"), 0);
    long midnight = T0 + 106 * 60_000L;
    // The first 7 hours of a day; minute 110 (00:04) fails every request: 100 of hour 0's 6000, a bad hour.
    for (int m = 107; m <= 526; m++) {
      feed(m, 100, m == 110 ? 100 : 0);
    }
    List<SloStatusRecord> out = harness.extractOutputValues();
    SloStatusRecord events = out.get(out.size() - 2);
    SloStatusRecord hours = out.get(out.size() - 1);
    assertThat(events.getName()).isEqualTo("checkout-availability");
    assertThat(events.getPeriodStartUnixMs()).isEqualTo(midnight);
    assertThat(events.getTotalEvents()).isEqualTo(42_000);
    assertThat(events.getGoodEvents()).isEqualTo(41_900);
    assertThat(events.getErrorBudgetRemaining()).isCloseTo(1 - (100.0 / 42_000) / 0.001, within(1e-9));
    // 7 complete hours by 07:00; hours 0 and 1 were folded at 02:58 and 03:58, and hour 0 still counts as bad.
    assertThat(hours.getName()).isEqualTo("checkout-hours");
    assertThat(hours.getTotalSlices()).isEqualTo(7);
    assertThat(hours.getGoodSlices()).isEqualTo(6);
    assertThat(hours.getTotalEvents()).isEqualTo(42_000);
    // Unfolded, the 420 windows of each SLO would be in state; folded, those of the last 146m for the one and of the
    // last four to five hours for the other.
    assertThat(countedWindows()).isBetween(146 + 242, 146 + 302);

    // A re-emission of minute 110, folded long ago, would count twice: it is dropped.
    feed(110, 100, 0);
    feed(527, 100, 0);
    out = harness.extractOutputValues();
    assertThat(out.get(out.size() - 2).getTotalEvents()).isEqualTo(42_100);
    assertThat(out.get(out.size() - 2).getGoodEvents()).isEqualTo(42_000);

    // The next day starts from nothing: the folded totals of the day before do not count.
    for (int m = 528; m <= 106 + 1440 + 10; m++) {
      feed(m, 100, 0);
    }
    out = harness.extractOutputValues();
    SloStatusRecord nextDay = out.get(out.size() - 2);
    assertThat(nextDay.getPeriodStartUnixMs()).isEqualTo(midnight + 86_400_000L);
    assertThat(nextDay.getTotalEvents()).isEqualTo(1_000);
    assertThat(nextDay.getErrorBudgetRemaining()).isEqualTo(1);
    assertThat(out.get(out.size() - 1).getGoodSlices()).isZero(); // no complete hour yet
  }

  @Test
  void aCalendarSloReportsItsPeriodSoFarAndStartsTheNextAtMidnight() throws Exception {
    // T0 is 22:14 UTC: minute 106 ends at midnight. The same SLO, now over calendar days in UTC.
    String daily = SLO_YAML.replace("timeWindow: [{duration: 30d, isRolling: true}]",
        "timeWindow: [{duration: 1d, isRolling: false, calendar: {startTime: '2023-01-01 00:00:00', timeZone: UTC}}]");
    harness.processBroadcastElement(new SloDefinitionChange("checkout-availability", daily, "checkout.yaml"), 0);
    long midnight = T0 + 106 * 60_000L;
    assertThat(midnight % 86_400_000L).isZero();
    for (int m = 101; m <= 106; m++) {
      feed(m, 100, m == 106 ? 10 : 0);
    }
    SloStatusRecord lastOfDay = lastStatus();
    assertThat(lastOfDay.getTimeWindow()).isEqualTo("1d");
    assertThat(lastOfDay.getPeriodStartUnixMs()).isEqualTo(midnight - 86_400_000L);
    assertThat(lastOfDay.getPeriodEndUnixMs()).isEqualTo(midnight);
    // Counted since the definition arrived: 600 requests, 10 failed, of a budget of 0.001 x 600 = 0.6.
    assertThat(lastOfDay.getTotalEvents()).isEqualTo(600);
    assertThat(lastOfDay.getErrorBudgetRemaining()).isCloseTo(1 - 10 / 0.6, within(1e-9));

    feed(107, 100, 0);
    SloStatusRecord firstOfNext = lastStatus();
    assertThat(firstOfNext.getPeriodStartUnixMs()).isEqualTo(midnight);
    assertThat(firstOfNext.getPeriodEndUnixMs()).isEqualTo(midnight + 86_400_000L);
    assertThat(firstOfNext.getTotalEvents()).isEqualTo(100);
    assertThat(firstOfNext.getErrorBudgetRemaining()).isEqualTo(1); // a whole budget again
    // The burn-rate windows roll on across midnight: the page alert's 2m (a 30-day SLO's 1h, scaled to 1 day) still
    // sees minute 106's errors, 10 of 200.
    assertThat(firstOfNext.getBurnRatesList()).anySatisfy(b -> {
      assertThat(b.getWindow()).isEqualTo("2m");
      assertThat(b.getRate()).isCloseTo(10.0 / 200 / 0.001, within(1e-9));
    });
  }
}
