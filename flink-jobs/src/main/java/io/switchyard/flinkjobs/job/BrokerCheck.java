package io.switchyard.flinkjobs.job;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.KafkaException;

/**
 * The local jar asks the broker for its cluster id before it starts the MiniCluster. Without this, an
 * unreachable {@code --kafka} shows up only as the Kafka source's failovers until the restart attempts
 * run out, and the launcher then ends with Flink's "MiniCluster is not yet running" instead of a reason.
 */
final class BrokerCheck {
  private BrokerCheck() {}

  /** Empty when a broker at {@code bootstrap} answered within {@code wait}, else the one-line reason. */
  static Optional<String> unreachable(String bootstrap, Duration wait) {
    int ms = (int) Math.max(1, wait.toMillis());
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, ms,
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, ms))) {
      admin.describeCluster(new DescribeClusterOptions().timeoutMs(ms)).clusterId().get(ms + 1000L, TimeUnit.MILLISECONDS);
      return Optional.empty();
    } catch (KafkaException e) {
      // Admin.create fails at once when no bootstrap name resolves ("No resolvable bootstrap urls").
      return Optional.of(reason(bootstrap, wait, rootMessage(e)));
    } catch (ExecutionException | TimeoutException e) {
      return Optional.of(reason(bootstrap, wait, "no broker answered"));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of(reason(bootstrap, wait, "interrupted"));
    }
  }

  private static String reason(String bootstrap, Duration wait, String why) {
    return "cannot reach Kafka at " + bootstrap + " (--kafka) within " + wait.toSeconds() + " s (--kafka-wait): " + why;
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }
}
