package io.switchyard.flinkjobs.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LanePartitionsTest {
  @Test
  void everyPartitionBelongsToExactlyOneLane() {
    for (int lanes = 1; lanes <= 5; lanes++) {
      for (int partition = 0; partition < 12; partition++) {
        Set<Integer> owners = new HashSet<>();
        for (int lane = 0; lane < lanes; lane++) {
          if (LanePartitions.inLane(partition, lane, lanes)) {
            owners.add(lane);
          }
        }
        assertThat(owners).as("partition %d of %d lanes", partition, lanes).hasSize(1);
      }
    }
  }

  @Test
  void sixPartitionsSplitEvenlyOverTwoAndThreeLanes() {
    assertThat(LanePartitions.inLane(4, 0, 2)).isTrue();
    assertThat(LanePartitions.inLane(5, 1, 2)).isTrue();
    assertThat(LanePartitions.inLane(5, 2, 3)).isTrue();
  }

  @Test
  void aLaneOutsideTheCountIsRefused() {
    assertThatThrownBy(() -> new LanePartitions("spans", 2, 2)).hasMessage("lane 2 is not one of 2");
  }
}
