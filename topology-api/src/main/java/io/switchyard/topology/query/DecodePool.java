package io.switchyard.topology.query;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Threads that decode a graph's uncached pieces alongside the request thread. The request thread always takes
 * part and takes whatever no helper has started, so a query never waits for a helper busy with another query:
 * helpers only shorten it. Owned by whoever starts the API (closed after the HTTP server), shared by its
 * queries.
 */
public final class DecodePool implements AutoCloseable {
  private final int threads;
  private final ExecutorService helpers;

  /** @param threads helper threads (0: every piece is decoded on the request thread) */
  public DecodePool(int threads) {
    if (threads < 0) {
      throw new IllegalArgumentException("threads must not be negative, got " + threads);
    }
    this.threads = threads;
    AtomicInteger numbers = new AtomicInteger();
    this.helpers = threads == 0 ? null : new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "topology-decode-" + numbers.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
  }

  /**
   * One helper fewer than cores: with the request thread, one query keeps every core busy (decoding is CPU
   * and RocksDB work), as the common fork-join pool's parallelism did before.
   */
  public static DecodePool forMachine() {
    return new DecodePool(Math.max(1, Runtime.getRuntime().availableProcessors() - 1));
  }

  /**
   * Sets {@code out[i] = tasks.get(i).get()} for every task, on the calling thread and up to {@code threads}
   * helpers, and returns once all are done. A task's exception is thrown here after the others finished.
   */
  <T> void runAll(List<Supplier<T>> tasks, T[] out) {
    Batch<T> batch = new Batch<>(tasks, out);
    int wanted = helpers == null ? 0 : Math.min(threads, tasks.size() - 1);
    for (int h = 0; h < wanted; h++) {
      try {
        helpers.execute(batch::work);
      } catch (RejectedExecutionException closed) {
        break;
      }
    }
    batch.work();
    batch.await();
  }

  private static final class Batch<T> {
    private final List<Supplier<T>> tasks;
    private final T[] out;
    private final AtomicInteger next = new AtomicInteger();
    /** Counts tasks finished: those taken by a thread are finished by it, the latch orders their results. */
    private final CountDownLatch done;
    private volatile Throwable failure;

    Batch(List<Supplier<T>> tasks, T[] out) {
      this.tasks = tasks;
      this.out = out;
      this.done = new CountDownLatch(tasks.size());
    }

    void work() {
      for (int i = next.getAndIncrement(); i < tasks.size(); i = next.getAndIncrement()) {
        try {
          if (failure == null) {
            out[i] = tasks.get(i).get();
          }
        } catch (RuntimeException | Error e) {
          if (failure == null) {
            failure = e;
          }
        } finally {
          done.countDown();
        }
      }
    }

    void await() {
      try {
        done.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while decoding a graph", e);
      }
      Throwable f = failure;
      if (f instanceof RuntimeException r) {
        throw r;
      }
      if (f instanceof Error err) {
        throw err;
      }
    }
  }

  @Override
  public void close() {
    if (helpers != null) {
      helpers.shutdown();
      try {
        helpers.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
