package io.switchyard.flinkjobs.graph;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The key filter never lacks a key it was given, whatever its size and however many parts it grew,
 * stays useful (few false positives), and follows the walks: complete only from a known-empty start
 * or a walk that ended, and then holding the keys the walk kept and the keys added since it started.
 */
class TraceKeyFilterTest {
  private static String traceKey(Random r) {
    byte[] id = new byte[16];
    r.nextBytes(id);
    return HexFormat.of().formatHex(id);
  }

  private static List<String> keys(Random r, int n) {
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(traceKey(r));
    }
    return out;
  }

  @Test
  void everyKeyAddedIsHeldAcrossGrowthAndOthersRarelyAre() {
    TraceKeyFilter f = new TraceKeyFilter();
    f.startEmpty();
    Random r = new Random(7);
    List<String> added = keys(r, TraceKeyFilter.MIN_KEYS * 6); // past the first part: three parts
    for (String k : added) {
      f.added(k);
    }
    assertThat(f.parts()).isEqualTo(3);
    for (String k : added) {
      assertThat(f.mayHold(k)).as(k).isTrue();
    }
    int falsePositives = 0;
    for (String k : keys(r, 200_000)) {
      falsePositives += f.mayHold(k) ? 1 : 0;
    }
    assertThat(falsePositives).as("false positives in 200,000").isLessThan(200_000 * 3 / 100);
  }

  @Test
  void aPartIsAddedByTheFirstKeyThatFindsTheNewestOneFull() {
    TraceKeyFilter f = new TraceKeyFilter();
    f.startEmpty();
    Random r = new Random(5);
    List<String> added = keys(r, TraceKeyFilter.MIN_KEYS * (1 + 4) + 1);
    for (int i = 0; i < added.size(); i++) {
      f.added(added.get(i));
      int expected = i < TraceKeyFilter.MIN_KEYS ? 1 : i < TraceKeyFilter.MIN_KEYS * 5 ? 2 : 3;
      if (f.parts() != expected) {
        assertThat(f.parts()).as("parts after %d keys", i + 1).isEqualTo(expected);
      }
    }
    assertThat(f.keys()).isEqualTo(added.size());
    assertThat(added).allMatch(f::mayHold);
  }

  @Test
  void onlyAKnownEmptyStartOrAFinishedWalkMakeItComplete() {
    Random r = new Random(11);
    String restored = traceKey(r);
    TraceKeyFilter f = new TraceKeyFilter(); // after a restore: unknown
    assertThat(f.complete()).isFalse();
    assertThat(f.mayHold(restored)).isTrue();
    f.walkStarted();
    f.walkDropped(); // a walk that did not end tells nothing
    assertThat(f.complete()).isFalse();
    f.walkStarted();
    f.walkKept(restored);
    f.walkEnded();
    assertThat(f.complete()).isTrue();
    assertThat(f.mayHold(restored)).isTrue();
    assertThat(f.mayHold(traceKey(r))).isFalse();
  }

  @Test
  void aWalkDropsTheKeysItDidNotKeepAndKeepsThoseAddedWhileItRan() {
    Random r = new Random(13);
    TraceKeyFilter f = new TraceKeyFilter();
    f.startEmpty();
    List<String> before = keys(r, 100);
    before.forEach(f::added);
    f.walkStarted();
    List<String> during = keys(r, 50);
    for (int i = 0; i < before.size(); i++) {
      if (i % 2 == 0) {
        f.walkKept(before.get(i)); // the odd ones ran out: deleted by the walk
      }
      if (i < during.size()) {
        f.added(during.get(i));
      }
    }
    // Until the walk ends the old filter answers: it still holds what the walk deleted.
    assertThat(before).allMatch(f::mayHold);
    f.walkEnded();
    assertThat(during).allMatch(f::mayHold);
    for (int i = 0; i < before.size(); i++) {
      assertThat(f.mayHold(before.get(i))).as("key %d", i).isEqualTo(i % 2 == 0);
    }
    f.walkStarted();
    f.emptied();
    assertThat(f.complete()).isTrue();
    assertThat(during).noneMatch(f::mayHold);
  }

  @Test
  void aLookupThatFindsAKeySurelyAbsentAddsItToTheFilterAndToTheWalksOne() {
    Random r = new Random(29);
    TraceKeyFilter unknown = new TraceKeyFilter(); // after a restore: every key may be held, none is added
    String k = traceKey(r);
    assertThat(unknown.mayHoldElseAdd(TraceKeyFilter.hash(k))).isTrue();
    assertThat(unknown.keys()).isZero();

    TraceKeyFilter f = new TraceKeyFilter();
    f.startEmpty();
    List<String> first = keys(r, 200);
    for (String key : first) {
      assertThat(f.mayHoldElseAdd(TraceKeyFilter.hash(key))).as(key).isFalse();
    }
    assertThat(first).allMatch(f::mayHold);
    assertThat(first).allMatch(key -> f.mayHoldElseAdd(TraceKeyFilter.hash(key)));
    assertThat(f.keys()).isEqualTo(200);

    // Added while a walk runs, a key is in the filter the walk builds too.
    f.walkStarted();
    List<String> during = keys(r, 50);
    during.forEach(key -> f.mayHoldElseAdd(TraceKeyFilter.hash(key)));
    f.walkEnded();
    assertThat(during).allMatch(f::mayHold);
    assertThat(first.stream().filter(f::mayHold).count()).isLessThan(20); // not kept by the walk: gone, but for false positives
  }

  @Test
  void aRebuiltFilterIsOnePartSizedForTheKeysOfTheOneBefore() {
    TraceKeyFilter f = new TraceKeyFilter();
    f.startEmpty();
    List<String> keys = keys(new Random(17), TraceKeyFilter.MIN_KEYS * 2);
    keys.forEach(f::added);
    assertThat(f.parts()).isEqualTo(2);
    f.walkStarted();
    keys.forEach(f::walkKept);
    f.walkEnded();
    assertThat(f.parts()).isEqualTo(1);
    assertThat(keys).allMatch(f::mayHold);
  }

  @Test
  void aBatchHashesItsTraceIdAsTheFilterHashesItsKey() {
    Random r = new Random(23);
    TraceKeyFilter fromBatches = new TraceKeyFilter();
    fromBatches.startEmpty();
    TraceKeyFilter fromKeys = new TraceKeyFilter();
    fromKeys.startEmpty();
    for (int i = 0; i < 5_000; i++) {
      byte[] id = new byte[r.nextInt(41)];
      r.nextBytes(id);
      byte[] record = new byte[id.length + 7];
      int from = r.nextInt(8);
      System.arraycopy(id, 0, record, from, id.length);
      TraceSpans inPlace = TraceSpans.ofRecord(record, from, id.length, 0);
      TraceSpans copied = TraceSpans.of(id, new byte[0], 0);
      String key = inPlace.key();
      assertThat(inPlace.keyHash()).as(key).isEqualTo(TraceKeyFilter.hash(key)).isEqualTo(copied.keyHash());
      assertThat(TraceKeyFilter.hash(key.toUpperCase())).isEqualTo(inPlace.keyHash());
      fromBatches.added(inPlace.keyHash());
      fromKeys.added(key);
    }
    Random again = new Random(23);
    for (int i = 0; i < 5_000; i++) {
      byte[] id = new byte[again.nextInt(41)];
      again.nextBytes(id);
      again.nextInt(8);
      String key = HexFormat.of().formatHex(id);
      assertThat(fromBatches.mayHold(key)).as(key).isTrue();
      assertThat(fromKeys.mayHold(TraceSpans.of(id, new byte[0], 0).keyHash())).as(key).isTrue();
    }
  }

  @Test
  void aKeyThatIsNotHexHasAStableHashOfItsOwn() {
    for (String key : List.of("abc", "0g", "zz", "trace-1", "\u00e9\u00e9")) {
      assertThat(TraceKeyFilter.hash(key)).as(key).isEqualTo(TraceKeyFilter.hash(new String(key)));
    }
    assertThat(TraceKeyFilter.hash("0g")).isNotEqualTo(TraceKeyFilter.hash("0f"));
    TraceKeyFilter f = new TraceKeyFilter();
    f.startEmpty();
    f.walkStarted();
    f.walkKept("not-a-trace-id");
    f.walkEnded();
    assertThat(f.mayHold("not-a-trace-id")).isTrue();
  }
}
