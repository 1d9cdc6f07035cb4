package io.switchyard.flinkjobs.slo.spec;

/** SLO files the SLO tests share. */
public final class SloFixtures {
  private SloFixtures() {}

  /** 99.9 % of checkout's requests succeed, over a rolling 30 days, counted by occurrences. */
  public static final String CHECKOUT_AVAILABILITY = """
      apiVersion: openslo/v1
      kind: SLO
      metadata: {name: checkout-availability}
      spec:
        service: checkout
        indicator:
          metadata: {name: ok}
          spec:
            ratioMetric:
              counter: true
              good: {metricSource: {type: switchyard, spec: {service: checkout, sli: availability}}}
              total: {metricSource: {type: switchyard, spec: {service: checkout}}}
        timeWindow: [{duration: 30d, isRolling: true}]
        budgetingMethod: Occurrences
        objectives: [{target: 0.999}]
      """;
}
