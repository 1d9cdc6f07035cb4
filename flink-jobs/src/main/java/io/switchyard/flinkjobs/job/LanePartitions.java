package io.switchyard.flinkjobs.job;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.flink.connector.kafka.source.enumerator.subscriber.KafkaSubscriber;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;

/**
 * The partitions of one span lane: those whose number is the lane's modulo the lane count. Ingest keys
 * every span by its trace id, so all spans of a trace are in one partition and so in one lane, which
 * pairs them alone. Asked again at every partition discovery, so partitions added later join a lane.
 */
final class LanePartitions implements KafkaSubscriber {
  private static final long serialVersionUID = 1L;

  private final String topic;
  private final int lane;
  private final int lanes;

  LanePartitions(String topic, int lane, int lanes) {
    if (lane < 0 || lane >= lanes) {
      throw new IllegalArgumentException("lane " + lane + " is not one of " + lanes);
    }
    this.topic = topic;
    this.lane = lane;
    this.lanes = lanes;
  }

  static boolean inLane(int partition, int lane, int lanes) {
    return partition % lanes == lane;
  }

  @Override
  public Set<TopicPartition> getSubscribedTopicPartitions(AdminClient admin) {
    TopicDescription d;
    try {
      d = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading the partitions of " + topic, e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot read the partitions of " + topic + ": " + e.getCause().getMessage(), e.getCause());
    }
    Set<TopicPartition> mine = new HashSet<>();
    for (TopicPartitionInfo p : d.partitions()) {
      if (inLane(p.partition(), lane, lanes)) {
        mine.add(new TopicPartition(topic, p.partition()));
      }
    }
    return mine;
  }

  @Override
  public String toString() {
    return topic + " lane " + lane + " of " + lanes;
  }
}
