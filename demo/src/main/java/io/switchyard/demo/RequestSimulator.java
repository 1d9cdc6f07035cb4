package io.switchyard.demo;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Simulates what one user request does inside the storefront: which services it reaches, how long each
 * takes and which fail. Latencies are log-normal per service; a failed downstream HTTP call fails its
 * caller. During a checkout outage, checkout fails often and is several times slower.
 */
final class RequestSimulator {
  private static final double Z99 = 2.326;
  private static final long NET_NANOS = 300_000;

  private final Random random;

  RequestSimulator(Random random) {
    this.random = random;
  }

  /** The entry call from the ingress gateway to the frontend for {@code path}, starting at {@code startNanos}. */
  SimulatedCall simulate(String method, String path, long startNanos, boolean checkoutOutage) {
    return call(Storefront.INGRESS, Storefront.SERVICES.get("frontend"), method, path, "frontend:" + path, startNanos, checkoutOutage);
  }

  /** An entry call rejected at the frontend's sidecar (denied or rate limited): no downstream calls. */
  SimulatedCall rejected(String method, String path, long startNanos, int httpStatus) {
    long end = startNanos + NET_NANOS + sampleNanos(0.4, 2);
    return new SimulatedCall(Storefront.INGRESS, Storefront.SERVICES.get("frontend"), method, path,
        startNanos, end + NET_NANOS, startNanos + NET_NANOS, end, httpStatus, false, List.of());
  }

  private SimulatedCall call(Storefront.Service caller, Storefront.Service callee, String method, String path,
      String routeKey, long clientStart, boolean outage) {
    boolean isCheckoutDown = outage && callee.name().equals("checkout");
    double errorRate = isCheckoutDown ? 0.35 : callee.errorRate();
    if (callee.kind() == Storefront.Kind.DATABASE) {
      long end = clientStart + sampleNanos(callee.medianMs(), callee.p99Ms());
      boolean failed = random.nextDouble() < errorRate;
      return new SimulatedCall(caller, callee, "SELECT", path, clientStart, end, clientStart, end, failed ? 500 : 200, failed, List.of());
    }
    long serverStart = clientStart + NET_NANOS;
    // A broken checkout waits on a struggling dependency: a long extra delay on top of its own work.
    long own = sampleNanos(callee.medianMs(), callee.p99Ms()) + (isCheckoutDown ? sampleNanos(150, 900) : 0);
    long t = serverStart + own / 2;
    boolean failed = random.nextDouble() < errorRate;
    List<SimulatedCall> children = new ArrayList<>();
    for (Storefront.Call c : Storefront.CALLS.getOrDefault(routeKey, List.of())) {
      if (random.nextDouble() >= c.probability()) {
        continue;
      }
      Storefront.Service next = Storefront.SERVICES.get(c.to());
      if (next.kind() == Storefront.Kind.QUEUE) {
        children.add(queue(callee, next, t, outage));
        t += 1_000_000;
        continue;
      }
      SimulatedCall child = call(callee, next, next.kind() == Storefront.Kind.DATABASE ? "SELECT" : "GET",
          "/" + next.name(), next.name(), t, outage);
      children.add(child);
      t = child.clientEndNanos() + 50_000;
      if (child.failed() && next.kind() == Storefront.Kind.HTTP) {
        failed = true;
        break;
      }
    }
    long serverEnd = t + own / 2;
    int status = failed ? (isCheckoutDown ? 503 : 500) : 200;
    return new SimulatedCall(caller, callee, method, path, clientStart, serverEnd + NET_NANOS, serverStart, serverEnd,
        status, failed, List.copyOf(children));
  }

  /** Publishing to the orders queue: a short producer span, then shipping consumes after a queue delay. */
  private SimulatedCall queue(Storefront.Service producer, Storefront.Service queue, long start, boolean outage) {
    long produced = start + 1_000_000;
    long consumeStart = produced + sampleNanos(8, 60);
    SimulatedCall shipping = call(queue, Storefront.SERVICES.get("shipping"), "POST", "/shipments", "shipping", consumeStart, outage);
    return new SimulatedCall(producer, queue, "publish", "orders", start, produced, consumeStart, shipping.serverEndNanos(),
        200, false, List.of(shipping));
  }

  /** A log-normal latency in nanoseconds with the given median and 99th percentile in milliseconds. */
  long sampleNanos(double medianMs, double p99Ms) {
    double sigma = Math.log(p99Ms / medianMs) / Z99;
    double ms = medianMs * Math.exp(sigma * random.nextGaussian());
    return (long) (Math.min(ms, p99Ms * 20) * 1_000_000);
  }

  /** Picks an entry path by its traffic share. */
  String pickPath() {
    double r = random.nextDouble();
    double acc = 0;
    for (var e : Storefront.PATHS) {
      acc += e.getValue();
      if (r < acc) {
        return e.getKey();
      }
    }
    return Storefront.PATHS.get(0).getKey();
  }
}
