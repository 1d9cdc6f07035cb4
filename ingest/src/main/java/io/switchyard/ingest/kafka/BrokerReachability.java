package io.switchyard.ingest.kafka;

import io.switchyard.serverkit.health.Readiness;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ingest's readiness follows whether the Kafka cluster answers, asked actively every few seconds.
 *
 * <p>The publisher learns that Kafka is gone from batches that fail, and that it is back from a batch that is
 * acknowledged. Neither can drive readiness: a replica started against a wrong {@code --kafka} has sent nothing and
 * would look ready, and a replica that a load balancer took out of service gets no batch that could tell it Kafka
 * came back. So a cluster description (a round trip to a broker, not cached metadata) is asked for on a thread of
 * its own, and the component is ready exactly while the last one answered.
 */
public final class BrokerReachability implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BrokerReachability.class);
  /** The admin client's id: the CLI's logging hides its per-retry connection warnings, this class logs the change. */
  public static final String CLIENT_ID = "switchyard-ingest-readiness";

  private final String bootstrapServers;
  private final Readiness.Component component;
  private final Duration interval;
  /** How long one check waits for an answer: the interval, but not under half a second. */
  private final int timeoutMs;
  private final Admin admin;
  private final ScheduledExecutorService thread;
  private Boolean answering;

  public BrokerReachability(String bootstrapServers, Readiness.Component component, Duration interval) {
    this.bootstrapServers = bootstrapServers;
    this.component = component;
    this.interval = interval;
    this.timeoutMs = (int) Math.max(500, interval.toMillis());
    this.admin = Admin.create(Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        AdminClientConfig.CLIENT_ID_CONFIG, CLIENT_ID,
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutMs,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutMs,
        AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1_000));
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "ingest-kafka-readiness");
      t.setDaemon(true);
      return t;
    });
    component.notReady("waiting for Kafka at " + bootstrapServers + " to answer");
  }

  /**
   * Asks once on the calling thread (at most the check's timeout plus a second), so that the start can say whether
   * Kafka answers, then keeps asking on the check's own thread.
   */
  public BrokerReachability start() {
    check();
    thread.scheduleWithFixedDelay(this::check, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  private void check() {
    String failure;
    try {
      admin.describeCluster(new DescribeClusterOptions().timeoutMs(timeoutMs))
          .nodes().get(timeoutMs + 1_000L, TimeUnit.MILLISECONDS);
      failure = null;
    } catch (ExecutionException e) {
      failure = String.valueOf(e.getCause());
    } catch (TimeoutException e) {
      failure = "no answer within " + timeoutMs + " ms";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    } catch (RuntimeException e) {
      // Thrown out of a scheduled task it would end the checks for good, leaving readiness where it was.
      failure = e.toString();
    }
    if (failure == null) {
      component.ready();
      if (!Boolean.TRUE.equals(answering)) {
        log.info("Kafka at {} answers: ingest is ready", bootstrapServers);
      }
      answering = true;
    } else {
      component.notReady("Kafka at " + bootstrapServers + " does not answer: " + failure);
      if (!Boolean.FALSE.equals(answering)) {
        log.warn("Kafka at {} does not answer, ingest is not ready: {}", bootstrapServers, failure);
      }
      answering = false;
    }
  }

  @Override
  public void close() {
    thread.shutdownNow();
    admin.close(Duration.ofSeconds(2));
  }
}
