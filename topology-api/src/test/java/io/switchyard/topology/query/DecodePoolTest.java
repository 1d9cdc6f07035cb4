package io.switchyard.topology.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class DecodePoolTest {
  @ParameterizedTest
  @ValueSource(ints = {0, 1, 3})
  void everyTaskResultLandsInItsSlot(int threads) {
    try (DecodePool pool = new DecodePool(threads)) {
      for (int n : new int[] {0, 1, 2, 7, 500}) {
        List<Supplier<Integer>> tasks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          int v = i;
          tasks.add(() -> v * v);
        }
        Integer[] out = new Integer[n];
        pool.runAll(tasks, out);
        for (int i = 0; i < n; i++) {
          assertThat(out[i]).isEqualTo(i * i);
        }
      }
    }
  }

  @Test
  void helpersTakePartAndTheRequestThreadToo() throws Exception {
    Set<String> threads = ConcurrentHashMap.newKeySet();
    // Each task waits until the other kind of thread has run one too. Trivial tasks that did not wait left one side no
    // share on a busy machine: the caller took all 64 before a helper thread was scheduled, 200 rounds in a row.
    CountDownLatch helperRan = new CountDownLatch(1);
    CountDownLatch callerRan = new CountDownLatch(1);
    try (DecodePool pool = new DecodePool(2)) {
      List<Supplier<String>> tasks = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        tasks.add(() -> {
          String name = Thread.currentThread().getName();
          boolean helper = name.startsWith("topology-decode-");
          threads.add(helper ? "helper" : "caller");
          (helper ? helperRan : callerRan).countDown();
          try {
            (helper ? callerRan : helperRan).await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return name;
        });
      }
      pool.runAll(tasks, new String[64]);
    }
    assertThat(threads).containsExactlyInAnyOrder("helper", "caller");
  }



  @Test
  void aFailingTaskFailsTheRunAfterTheOthersStopped() {
    try (DecodePool pool = new DecodePool(2)) {
      List<Supplier<Integer>> tasks = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        int v = i;
        tasks.add(() -> {
          if (v == 17) {
            throw new IllegalStateException("corrupt edge aggregate in store");
          }
          return v;
        });
      }
      assertThatThrownBy(() -> pool.runAll(tasks, new Integer[50])).isInstanceOf(IllegalStateException.class)
          .hasMessage("corrupt edge aggregate in store");
      Integer[] out = new Integer[3];
      pool.runAll(List.of(() -> 1, () -> 2, () -> 3), out);
      assertThat(out).containsExactly(1, 2, 3);
    }
  }

  @Test
  void aClosedPoolLeavesTheWorkToTheCaller() {
    DecodePool pool = new DecodePool(2);
    pool.close();
    Integer[] out = new Integer[4];
    pool.runAll(List.of(() -> 1, () -> 2, () -> 3, () -> 4), out);
    assertThat(out).containsExactly(1, 2, 3, 4);
  }

  @Test
  void negativeThreadCountsAreRejected() {
    assertThatThrownBy(() -> new DecodePool(-1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("threads");
  }
}
