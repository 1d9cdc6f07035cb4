package io.switchyard.topology.query;

import static io.switchyard.topology.Fixtures.MINUTE;
import static io.switchyard.topology.Fixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.topology.query.RangePlan.Piece;
import io.switchyard.topology.store.Resolution;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RangePlanTest {
  private static final long HOUR = 60 * MINUTE;

  @Test
  void anAlignedHourIsOneHourlyRollUp() {
    assertThat(RangePlan.decompose(T0, T0 + HOUR, MINUTE, Long.MAX_VALUE)).containsExactly(new Piece(Resolution.HOUR, T0, T0 + HOUR));
  }

  @Test
  void raggedEndsFallBackToFinerPiecesInTimeOrder() {
    assertThat(RangePlan.decompose(T0 + 7 * MINUTE, T0 + 66 * MINUTE, MINUTE, Long.MAX_VALUE)).containsExactly(
        new Piece(null, T0 + 7 * MINUTE, T0 + 10 * MINUTE),
        new Piece(Resolution.TEN_MINUTES, T0 + 10 * MINUTE, T0 + 30 * MINUTE),
        new Piece(Resolution.THIRTY_MINUTES, T0 + 30 * MINUTE, T0 + HOUR),
        new Piece(Resolution.FIVE_MINUTES, T0 + HOUR, T0 + 65 * MINUTE),
        new Piece(null, T0 + 65 * MINUTE, T0 + 66 * MINUTE));
    assertThat(RangePlan.decompose(T0 - 2 * MINUTE, T0 + 2 * HOUR + 3 * MINUTE, MINUTE, Long.MAX_VALUE)).containsExactly(
        new Piece(null, T0 - 2 * MINUTE, T0),
        new Piece(Resolution.HOUR, T0, T0 + 2 * HOUR),
        new Piece(null, T0 + 2 * HOUR, T0 + 2 * HOUR + 3 * MINUTE));
  }

  @Test
  void serviceRangesUseOnlyTheServiceRollUps() {
    assertThat(RangePlan.decompose(T0 + 7 * MINUTE, T0 + 66 * MINUTE, MINUTE, Long.MAX_VALUE, RangePlan.SERVICES))
        .containsExactly(
            new Piece(null, T0 + 7 * MINUTE, T0 + 10 * MINUTE),
            new Piece(Resolution.TEN_MINUTES, T0 + 10 * MINUTE, T0 + HOUR),
            new Piece(Resolution.FIVE_MINUTES, T0 + HOUR, T0 + 65 * MINUTE),
            new Piece(null, T0 + 65 * MINUTE, T0 + 66 * MINUTE));
    assertThat(RangePlan.SERVICES).containsExactlyElementsOf(
        Resolution.SERVICE_LEVELS.stream().sorted((a, b) -> Long.compare(b.millis, a.millis)).toList());
  }

  @Test
  void aRaggedHourReadsAtMostNineBucketsPerHop() {
    // What the thirty-minute level is for: up to four minutes at each end and few roll-ups between them.
    for (int m = 0; m < 24 * 60; m++) {
      long from = T0 + m * MINUTE;
      int buckets = 0;
      for (Piece p : RangePlan.decompose(from, from + HOUR, MINUTE, Long.MAX_VALUE)) {
        long width = p.resolution() == null ? MINUTE : p.resolution().millis;
        buckets += (int) ((p.toMs() - p.fromMs()) / width);
      }
      assertThat(buckets).as("hour from minute %d", m).isLessThanOrEqualTo(9);
    }
  }

  @Test
  void shortRangesReadMinutes() {
    assertThat(RangePlan.decompose(T0 + MINUTE, T0 + 4 * MINUTE, MINUTE, Long.MAX_VALUE))
        .containsExactly(new Piece(null, T0 + MINUTE, T0 + 4 * MINUTE));
    assertThat(RangePlan.decompose(T0 + 3 * MINUTE, T0 + 9 * MINUTE, MINUTE, Long.MAX_VALUE))
        .containsExactly(new Piece(null, T0 + 3 * MINUTE, T0 + 9 * MINUTE));
    assertThat(RangePlan.decompose(T0, T0, MINUTE, Long.MAX_VALUE)).isEmpty();
  }

  @Test
  void windowsThatDoNotDivideTheRollUpsAreReadAsStored() {
    long w = 7 * MINUTE;
    assertThat(RangePlan.decompose(T0 - T0 % w, T0 - T0 % w + 21 * w, w, Long.MAX_VALUE))
        .containsExactly(new Piece(null, T0 - T0 % w, T0 - T0 % w + 21 * w));
  }

  @Test
  void piecesTileTheRangeExactlyAndUseEachResolutionOnlyOnItsBoundaries() {
    Random random = new Random(3);
    for (int i = 0; i < 2_000; i++) {
      long from = T0 + random.nextInt(3 * 24 * 60) * MINUTE;
      long to = from + random.nextInt(26 * 60) * MINUTE;
      List<Piece> pieces = RangePlan.decompose(from, to, MINUTE, Long.MAX_VALUE);
      long at = from;
      int minutePieces = 0;
      for (Piece p : pieces) {
        assertThat(p.fromMs()).isEqualTo(at);
        assertThat(p.toMs()).isGreaterThan(p.fromMs());
        if (p.resolution() != null) {
          assertThat(p.fromMs() % p.resolution().millis).isZero();
          assertThat(p.toMs() % p.resolution().millis).isZero();
        } else {
          minutePieces++;
          assertThat(p.toMs() - p.fromMs()).isLessThan(10 * MINUTE);
        }
        at = p.toMs();
      }
      assertThat(at).isEqualTo(to);
      assertThat(minutePieces).isLessThanOrEqualTo(2);
    }
  }

  @Test
  void rollUpsAreUsedOnlyForBucketsEndingByTheCompleteMark() {
    // Complete until 12 minutes past the second hour: its ten-minute bucket that ended is used, then minutes.
    assertThat(RangePlan.decompose(T0, T0 + 2 * HOUR, MINUTE, T0 + HOUR + 12 * MINUTE)).containsExactly(
        new Piece(Resolution.HOUR, T0, T0 + HOUR), new Piece(Resolution.TEN_MINUTES, T0 + HOUR, T0 + HOUR + 10 * MINUTE),
        new Piece(null, T0 + HOUR + 10 * MINUTE, T0 + 2 * HOUR));
    assertThat(RangePlan.decompose(T0, T0 + HOUR, MINUTE, T0)).containsExactly(new Piece(null, T0, T0 + HOUR));
  }

  @Test
  void piecesStillTileTheRangeWhenRollUpsAreCompleteOnlyUpToAMark() {
    Random random = new Random(5);
    for (int i = 0; i < 2_000; i++) {
      long from = T0 + random.nextInt(3 * 24 * 60) * MINUTE;
      long to = from + random.nextInt(26 * 60) * MINUTE;
      long complete = from - 30 * MINUTE + random.nextInt(27 * 60) * MINUTE;
      long at = from;
      for (Piece p : RangePlan.decompose(from, to, MINUTE, complete)) {
        assertThat(p.fromMs()).isEqualTo(at);
        if (p.resolution() != null) {
          assertThat(p.toMs()).isLessThanOrEqualTo(complete);
        }
        at = p.toMs();
      }
      assertThat(at).isEqualTo(to);
    }
  }
}
