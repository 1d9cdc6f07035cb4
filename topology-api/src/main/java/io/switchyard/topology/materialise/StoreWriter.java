package io.switchyard.topology.materialise;

import io.switchyard.topology.store.StoreBatch;
import io.switchyard.topology.store.TopologyStore;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the materialiser's work to the store on a thread of its own, in the order it was handed over, so that
 * reading and decoding the next records from Kafka overlaps the store write of the previous ones. At most one
 * batch is built while another is written: a slow store holds the reader back instead of filling memory.
 */
final class StoreWriter {
  private static final Logger LOG = LoggerFactory.getLogger(StoreWriter.class);
  private static final Runnable STOP = () -> {};

  private final TopologyStore store;
  /** A hand-over, not a buffer: the reader waits with its next batch until the writer is done with the last. */
  private final BlockingQueue<Runnable> queue = new SynchronousQueue<>();
  private final Thread thread;
  private final AtomicLong stored = new AtomicLong();
  private volatile boolean failed;
  private volatile long caughtUpMark = -1;

  StoreWriter(TopologyStore store, String threadName) {
    this.store = store;
    this.thread = new Thread(this::run, threadName);
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** Records stored so far. */
  long stored() {
    return stored.get();
  }

  /** The newest mark passed to {@link #caughtUp(long)} that has been reached; -1 before the first. */
  long caughtUpMark() {
    return caughtUpMark;
  }

  /** False once a store write failed: the writer has stopped, and so must the reader. */
  boolean healthy() {
    return !failed;
  }

  /**
   * Queues a batch of {@code records} records; blocks while the writer is behind.
   *
   * @return false when the writer has stopped (the batch is not stored)
   */
  boolean write(StoreBatch batch, long records) throws InterruptedException {
    return submit(() -> {
      store.write(batch);
      stored.addAndGet(records);
    });
  }

  /**
   * Hands over {@link TopologyStore#completeRollups()} when the writer is idle; otherwise skipped (the reader
   * asks again after its next empty poll).
   */
  void completeRollups() {
    queue.offer(store::completeRollups);
  }

  /** Queues a retention sweep. */
  boolean deleteOlderThan(long cutoffMs) throws InterruptedException {
    return submit(() -> store.deleteOlderThan(cutoffMs));
  }

  /** Sets {@link #caughtUpMark()} to {@code mark} once everything queued before is written. */
  boolean caughtUp(long mark) throws InterruptedException {
    return submit(() -> caughtUpMark = mark);
  }

  private boolean submit(Runnable work) throws InterruptedException {
    while (!failed) {
      if (queue.offer(work, 100, TimeUnit.MILLISECONDS)) {
        return true;
      }
    }
    return false;
  }

  /** Writes what is queued, then stops the thread. */
  void close(long timeoutMs) throws InterruptedException {
    if (!thread.isAlive()) {
      return;
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (!failed && thread.isAlive() && !queue.offer(STOP, 100, TimeUnit.MILLISECONDS)) {
      if (System.nanoTime() - deadline > 0) {
        break;
      }
    }
    thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
  }

  private void run() {
    try {
      for (Runnable work = queue.take(); work != STOP; work = queue.take()) {
        work.run();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      failed = true;
      LOG.error("materialiser stopped: store write failed: {}", e.toString(), e);
    }
  }
}
