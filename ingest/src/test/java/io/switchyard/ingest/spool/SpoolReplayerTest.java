package io.switchyard.ingest.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolReplayerTest {
  @TempDir Path dir;

  final List<String> delivered = new ArrayList<>();
  final AtomicLong replayed = new AtomicLong();

  SpoolReplayer replayer(Spool spool, SpoolReplayer.Sink sink) {
    return new SpoolReplayer(spool, sink, null, Duration.ofMillis(10), Duration.ofSeconds(1), 3, replayed::addAndGet);
  }

  @Test
  void deliversEverythingInOrderInBatchesAndEmptiesTheSpool() throws IOException {
    try (Spool spool = Spool.open(dir, 1 << 20, 1024)) {
      for (int i = 0; i < 10; i++) {
        spool.append(("e" + i).getBytes(StandardCharsets.UTF_8));
      }
      List<Integer> batchSizes = new ArrayList<>();
      replayer(spool, entries -> {
        batchSizes.add(entries.size());
        entries.forEach(e -> delivered.add(new String(e, StandardCharsets.UTF_8)));
        return CompletableFuture.completedFuture(null);
      }).tick();

      assertThat(delivered).containsExactly("e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9");
      assertThat(batchSizes).containsExactly(3, 3, 3, 1);
      assertThat(spool.isEmpty()).isTrue();
      assertThat(replayed.get()).isEqualTo(10);
    }
  }

  @Test
  void refusedOrFailedBatchStaysAndIsRetriedFromTheSamePlace() throws IOException {
    try (Spool spool = Spool.open(dir, 1 << 20, 1024)) {
      for (int i = 0; i < 4; i++) {
        spool.append(("e" + i).getBytes(StandardCharsets.UTF_8));
      }
      replayer(spool, entries -> null).tick();
      replayer(spool, entries -> CompletableFuture.failedFuture(new IOException("broker down"))).tick();
      assertThat(spool.peek(10)).hasSize(4);
      assertThat(replayed.get()).isZero();

      replayer(spool, entries -> {
        entries.forEach(e -> delivered.add(new String(e, StandardCharsets.UTF_8)));
        return CompletableFuture.completedFuture(null);
      }).tick();
      assertThat(delivered).containsExactly("e0", "e1", "e2", "e3");
      assertThat(spool.isEmpty()).isTrue();
    }
  }

  /** A stop during a Kafka outage waited out the ack timeout of the batch being replayed; the batch stays for the next start. */
  @Test
  void closeEndsARoundWaitingForKafkaWithoutCommittingItsBatch() throws Exception {
    try (Spool spool = Spool.open(dir, 1 << 20, 1024)) {
      spool.append("e0".getBytes(StandardCharsets.UTF_8));
      spool.append("e1".getBytes(StandardCharsets.UTF_8));
      java.util.concurrent.CountDownLatch sent = new java.util.concurrent.CountDownLatch(1);
      SpoolReplayer r = new SpoolReplayer(spool, entries -> {
        sent.countDown();
        return new CompletableFuture<>();
      }, null, Duration.ofMillis(10), Duration.ofHours(1), 3, replayed::addAndGet);
      Thread round = new Thread(r::tick, "replay-round");
      round.setDaemon(true);
      round.start();
      assertThat(sent.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

      r.close();
      round.join(30_000);

      assertThat(round.isAlive()).as("the round ended").isFalse();
      assertThat(spool.peek(10)).hasSize(2);
      assertThat(replayed.get()).isZero();
    }
  }
}
