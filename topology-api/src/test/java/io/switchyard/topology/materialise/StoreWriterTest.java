package io.switchyard.topology.materialise;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.switchyard.topology.store.StoreBatch;
import io.switchyard.topology.store.TopologyStore;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class StoreWriterTest {
  private final List<Object> calls = new CopyOnWriteArrayList<>();
  private final CountDownLatch release = new CountDownLatch(1);
  private volatile boolean failWrites;

  /** A store that records its writes and retention sweeps; the first write waits for {@link #release}. */
  private TopologyStore store() {
    return (TopologyStore) Proxy.newProxyInstance(TopologyStore.class.getClassLoader(), new Class<?>[] {TopologyStore.class},
        (proxy, method, args) -> {
          switch (method.getName()) {
            case "write" -> {
              release.await(10, TimeUnit.SECONDS);
              if (failWrites) {
                throw new IllegalStateException("disk full");
              }
              calls.add(args[0]);
            }
            case "deleteOlderThan" -> {
              calls.add(args[0]);
              return 0L;
            }
            case "completeRollups" -> calls.add("complete");
            default -> {
              return null;
            }
          }
          return null;
        });
  }

  @Test
  void batchesAreStoredInOrderAndTheCaughtUpMarkFollowsThem() throws Exception {
    StoreWriter writer = new StoreWriter(store(), "test-writer");
    writer.start();
    StoreBatch first = new StoreBatch().offset("t", 0, 1);
    StoreBatch second = new StoreBatch().offset("t", 0, 2);
    assertThat(writer.write(first, 3)).isTrue();
    // The writer is held in the first write: the reader can hand over one more and then waits.
    Thread reader = new Thread(() -> {
      try {
        writer.write(second, 4);
        writer.deleteOlderThan(42L);
        writer.caughtUp(7);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    reader.start();
    assertThat(writer.caughtUpMark()).isEqualTo(-1);
    assertThat(writer.stored()).isZero();
    release.countDown();
    await().atMost(10, TimeUnit.SECONDS).until(() -> writer.caughtUpMark() == 7);
    assertThat(calls).containsExactly(first, second, 42L);
    assertThat(writer.stored()).isEqualTo(7);
    writer.close(5_000);
    reader.join();
  }

  @Test
  void aFailedWriteStopsTheWriterAndRefusesLaterWork() throws Exception {
    failWrites = true;
    release.countDown();
    StoreWriter writer = new StoreWriter(store(), "test-writer");
    writer.start();
    assertThat(writer.write(new StoreBatch(), 1)).isTrue();
    await().atMost(10, TimeUnit.SECONDS).until(() -> !writer.healthy());
    assertThat(writer.write(new StoreBatch(), 1)).isFalse();
    assertThat(writer.caughtUp(1)).isFalse();
    assertThat(writer.stored()).isZero();
    writer.close(1_000);
  }
}
