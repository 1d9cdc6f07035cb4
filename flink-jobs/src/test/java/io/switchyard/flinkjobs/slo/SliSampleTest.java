package io.switchyard.flinkjobs.slo;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.flinkjobs.slo.spec.OpenSloParser;
import io.switchyard.flinkjobs.slo.spec.SloFixtures;
import io.switchyard.flinkjobs.slo.spec.SloSpec;
import io.switchyard.model.LatencyBuckets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SliSampleTest {

  private static SliSample oneRequestPerBucket() {
    SliSample s = new SliSample();
    s.total = LatencyBuckets.COUNT;
    s.latencyBuckets = new double[LatencyBuckets.COUNT];
    java.util.Arrays.fill(s.latencyBuckets, 1);
    return s;
  }

  private static SloSpec latency(Duration threshold) {
    return new SloSpec("fast", "lat-s", new SloSpec.Target("lat-s", "", "", "trace"), SloSpec.SliKind.LATENCY,
        threshold, 0.9, Duration.ofHours(1), "fast.yaml", SloSpec.Budgeting.OCCURRENCES);
  }

  @Test
  void aThresholdOnABucketBoundCountsThatBucketForEveryBound() {
    SliSample s = oneRequestPerBucket();
    for (int i = 0; i < LatencyBuckets.FINITE; i++) {
      // The parser keeps the effective threshold as a Duration: the bound rounded to whole nanoseconds.
      Duration threshold = Duration.ofNanos(Math.round(LatencyBuckets.upperBoundSeconds(i) * 1e9));
      assertThat(s.good(latency(threshold))).as("bound %d (%s s)", i, LatencyBuckets.upperBoundSeconds(i)).isEqualTo(i + 1);
    }
  }

  @Test
  void theThresholdSloCheckPrintsIsTheOneCounted(@TempDir Path dir) throws Exception {
    // 50ms -> the bound at or under it, 36.2 ms (bucket 17): requests in buckets 0..17 are good, as `slo rules`
    // counts them with le="0.036203867196751234".
    Files.writeString(dir.resolve("fast.yaml"), SloFixtures.LAT_S_FAST_50MS);
    SloSpec slo = OpenSloParser.readDirectory(dir).get(0).spec();
    assertThat(LatencyBuckets.boundIndex(slo.latencyThreshold().toNanos() / 1e9)).isEqualTo(17);
    assertThat(oneRequestPerBucket().good(slo)).isEqualTo(18);
  }
}
