package io.switchyard.ingest.receiver;

import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds the OTLP requests received but not yet picked up by a worker. Without it they wait in the worker pool's
 * unbounded queue, holding their bytes, until the client's deadline expires; with it the excess is refused at once
 * with retry info, which is the push-back OTLP clients understand.
 */
public final class Admission {
  /** Set while the HTTP server runs a request that was not admitted; its handler answers 429 without reading it. */
  private static final ThreadLocal<Boolean> REFUSING = ThreadLocal.withInitial(() -> Boolean.FALSE);

  private final int maxQueued;
  private final long maxQueuedBytes;
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicLong queuedBytes = new AtomicLong();

  /**
   * @param maxQueued requests waiting for a worker, at most
   * @param maxQueuedBytes bytes of requests waiting for a worker, at most (one request is always admitted when
   *     none waits, so a single request up to the message limit is never refused by this bound)
   */
  public Admission(int maxQueued, long maxQueuedBytes) {
    if (maxQueued < 1 || maxQueuedBytes < 1) {
      throw new IllegalArgumentException("admission bounds must be positive");
    }
    this.maxQueued = maxQueued;
    this.maxQueuedBytes = maxQueuedBytes;
  }

  /** Hands {@code task} to {@code workers} if there is room, counting it until it starts; false = refuse now. */
  boolean offer(long bytes, Executor workers, Runnable task) {
    if (!enter(bytes)) {
      return false;
    }
    try {
      workers.execute(() -> {
        leave(bytes);
        task.run();
      });
    } catch (RuntimeException e) {
      leave(bytes);
      throw e;
    }
    return true;
  }

  /**
   * An executor for the OTLP/HTTP server: admitted exchanges run on {@code workers}; the others run at once on the
   * calling (dispatcher) thread with {@link #refusing()} set, so the handler answers 429 without reading the body.
   */
  public Executor httpExecutor(Executor workers) {
    return r -> {
      if (!offer(0, workers, r)) {
        REFUSING.set(Boolean.TRUE);
        try {
          r.run();
        } finally {
          REFUSING.set(Boolean.FALSE);
        }
      }
    };
  }

  static boolean refusing() {
    return REFUSING.get();
  }

  /** Requests admitted and not yet started. */
  public int queued() {
    return queued.get();
  }

  private boolean enter(long bytes) {
    while (true) {
      int n = queued.get();
      if (n >= maxQueued) {
        return false;
      }
      long b = queuedBytes.get();
      if (n > 0 && b + bytes > maxQueuedBytes) {
        return false;
      }
      if (queued.compareAndSet(n, n + 1)) {
        queuedBytes.addAndGet(bytes);
        return true;
      }
    }
  }

  private void leave(long bytes) {
    queuedBytes.addAndGet(-bytes);
    queued.decrementAndGet();
  }
}
