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

  /**
   * {@link #CHECKOUT_AVAILABILITY} with two OpenSLO alert policies: checkout-fast-burn by reference (its condition and
   * target documents of their own), paging at 14.4x over 1h once that has held for 5m, and checkout-slow-burn inline,
   * a ticket above 1x over 6h at once.
   */
  public static final String CHECKOUT_WITH_ALERT_POLICIES = CHECKOUT_AVAILABILITY + """
        alertPolicies:
          - alertPolicyRef: checkout-fast-burn
          - kind: AlertPolicy
            metadata: {name: checkout-slow-burn}
            spec:
              alertWhenBreaching: true
              alertWhenResolved: true
              conditions:
                - kind: AlertCondition
                  metadata: {name: slow-burn}
                  spec:
                    severity: ticket
                    condition: {kind: burnrate, op: gt, threshold: 1, lookbackWindow: 6h}
              notificationTargets:
                - kind: AlertNotificationTarget
                  metadata: {name: team-queue}
                  spec: {target: jira}
      ---
      apiVersion: openslo/v1
      kind: AlertPolicy
      metadata: {name: checkout-fast-burn}
      spec:
        description: Checkout burns a month's budget in two days
        alertWhenNoData: false
        alertWhenResolved: true
        alertWhenBreaching: true
        conditions: [{conditionRef: fast-burn}]
        notificationTargets: [{targetRef: oncall}]
      ---
      apiVersion: openslo/v1
      kind: AlertCondition
      metadata: {name: fast-burn}
      spec:
        severity: page
        condition: {kind: burnrate, op: gte, threshold: 14.4, lookbackWindow: 1h, alertAfter: 5m}
      ---
      apiVersion: openslo/v1
      kind: AlertNotificationTarget
      metadata: {name: oncall}
      spec: {target: pagerduty, description: the checkout on-call}
      """;

  /** 90 % of lat-s's requests within 50ms (counted at the bucket bound under it, 36.2 ms), over a rolling hour. */
  public static final String LAT_S_FAST_50MS = """
      apiVersion: openslo/v1
      kind: SLO
      metadata: {name: fast}
      spec:
        service: lat-s
        indicator:
          metadata: {name: fast-sli}
          spec:
            ratioMetric:
              counter: true
              good:  {metricSource: {type: switchyard, spec: {service: lat-s, sli: latency, threshold: 50ms}}}
              total: {metricSource: {type: switchyard, spec: {service: lat-s}}}
        timeWindow: [{duration: 1h, isRolling: true}]
        budgetingMethod: Occurrences
        objectives: [{target: 0.9}]
      """;

  /** 95 % of cart's requests in namespace n1 succeed, over a rolling hour. */
  public static final String CART_N1_AVAILABILITY = """
      apiVersion: openslo/v1
      kind: SLO
      metadata: {name: cart-n1}
      spec:
        service: cart
        indicator:
          metadata: {name: cart-n1-ok}
          spec:
            ratioMetric:
              counter: true
              good:  {metricSource: {type: switchyard, spec: {service: cart, namespace: n1, sli: availability}}}
              total: {metricSource: {type: switchyard, spec: {service: cart, namespace: n1}}}
        timeWindow: [{duration: 1h, isRolling: true}]
        budgetingMethod: Occurrences
        objectives: [{target: 0.95}]
      """;
}
