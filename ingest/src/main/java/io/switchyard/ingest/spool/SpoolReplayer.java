package io.switchyard.ingest.spool;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers spooled entries in order, one batch at a time: a batch is committed only after the sink acknowledged
 * all of it, and retried from the same place otherwise. Also fsyncs the spool on the same schedule, so appends
 * are batched into one fsync per tick.
 */
public final class SpoolReplayer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SpoolReplayer.class);

  /** Sends a batch; returns null when the sink refuses it now, else a future completed on acknowledgement. */
  @FunctionalInterface
  public interface Sink {
    CompletableFuture<Void> send(List<byte[]> entries);
  }

  private final Spool spool;
  private final Sink sink;
  private final ScheduledExecutorService scheduler;
  private final Duration interval;
  private final Duration ackTimeout;
  private final int batchSize;
  private final LongConsumer onReplayed;
  private ScheduledFuture<?> task;
  /** Completed by {@link #close}: a round waiting for an acknowledgement stops waiting. */
  private final CompletableFuture<Void> closed = new CompletableFuture<>();

  public SpoolReplayer(Spool spool, Sink sink, ScheduledExecutorService scheduler, Duration interval,
      Duration ackTimeout, int batchSize, LongConsumer onReplayed) {
    this.spool = spool;
    this.sink = sink;
    this.scheduler = scheduler;
    this.interval = interval;
    this.ackTimeout = ackTimeout;
    this.batchSize = batchSize;
    this.onReplayed = onReplayed;
  }

  public SpoolReplayer start() {
    task = scheduler.scheduleWithFixedDelay(this::tick, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  /** One round: fsync, then deliver batches until the spool is empty or the sink stops taking them. */
  void tick() {
    try {
      spool.sync();
      while (true) {
        List<Spool.Entry> entries = spool.peek(batchSize);
        if (entries.isEmpty()) {
          return;
        }
        List<byte[]> data = new ArrayList<>(entries.size());
        for (Spool.Entry e : entries) {
          data.add(e.data());
        }
        CompletableFuture<Void> acked = sink.send(data);
        if (acked == null) {
          return;
        }
        CompletableFuture.anyOf(acked, closed).get(ackTimeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!acked.isDone() || acked.isCompletedExceptionally()) {
          return; // closed while Kafka had not answered: the batch stays, delivered again at the next start
        }
        spool.commit(entries.get(entries.size() - 1).next());
        onReplayed.accept(entries.size());
      }
    } catch (ExecutionException | TimeoutException e) {
      log.debug("spool replay paused: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException | RuntimeException e) {
      log.error("spool replay failed; retrying next round", e);
    }
  }

  /**
   * Stops replaying. A round waiting for Kafka's acknowledgement stops waiting without committing its batch (the
   * next start delivers it again): before, a stop during a Kafka outage waited out the ack timeout here.
   */
  @Override
  public void close() {
    closed.complete(null);
    if (task != null) {
      task.cancel(false);
    }
  }
}
