package io.switchyard.ingest.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SamplingProbabilityTest {
  final Attributes none = Attributes.of(List.of());

  @Test
  void thresholdZeroMeansAlwaysSampled() {
    assertThat(SamplingProbability.fromTraceState("ot=th:0")).isEqualTo(1.0);
  }

  @Test
  void thresholdsFromTheOpenTelemetrySpecification() {
    assertThat(SamplingProbability.fromTraceState("ot=th:8")).isEqualTo(0.5);
    assertThat(SamplingProbability.fromTraceState("ot=th:c")).isEqualTo(0.25);
    assertThat(SamplingProbability.fromTraceState("ot=th:fd70a4")).isCloseTo(0.01, org.assertj.core.data.Offset.offset(1e-6));
  }

  @Test
  void findsOtMemberAmongOthersAndOtherSubKeys() {
    assertThat(SamplingProbability.fromTraceState("congo=t61rcWkgMzE, ot=rv:0123456789abcd;th:8")).isEqualTo(0.5);
  }

  @Test
  void invalidThresholdIsIgnored() {
    assertThat(SamplingProbability.fromTraceState("ot=th:zz")).isNaN();
    assertThat(SamplingProbability.fromTraceState("ot=th:123456789abcdef0")).isNaN();
    assertThat(SamplingProbability.fromTraceState("ot=th:")).isNaN();
    assertThat(SamplingProbability.of("ot=th:zz", none)).isEqualTo(1.0);
  }

  @Test
  void absentEverywhereMeansOne() {
    assertThat(SamplingProbability.of("", none)).isEqualTo(1.0);
  }

  @Test
  void attributeOutsideUnitIntervalIsIgnored() {
    Attributes zero = Attributes.of(List.of(SpanMapperTest.kv("sampling.probability", 0.0)));
    Attributes two = Attributes.of(List.of(SpanMapperTest.kv("sampling.probability", 2.0)));
    assertThat(SamplingProbability.of("", zero)).isEqualTo(1.0);
    assertThat(SamplingProbability.of("", two)).isEqualTo(1.0);
  }

  @Test
  void attributeBelowTheSmallestThresholdProbabilityIsIgnored() {
    Attributes tiny = Attributes.of(List.of(SpanMapperTest.kv("sampling.probability", 1e-300)));
    Attributes belowMin = Attributes.of(List.of(SpanMapperTest.kv("sampling.probability", 0x1p-57)));
    Attributes min = Attributes.of(List.of(SpanMapperTest.kv("sampling.probability", 0x1p-56)));
    assertThat(SamplingProbability.of("", tiny)).isEqualTo(1.0);
    assertThat(SamplingProbability.of("", belowMin)).isEqualTo(1.0);
    assertThat(SamplingProbability.of("", min)).isEqualTo(0x1p-56);
  }

  @Test
  void traceStateWinsOverAttribute() {
    Attributes attr = Attributes.of(List.of(SpanMapperTest.kv("sampling.probability", 0.1)));
    assertThat(SamplingProbability.of("ot=th:8", attr)).isEqualTo(0.5);
  }
}
