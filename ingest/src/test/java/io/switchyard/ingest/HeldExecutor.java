package io.switchyard.ingest;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;

/** Holds every task until released; afterwards runs them on a real pool. For tests that need a call held in flight. */
final class HeldExecutor implements Executor {
  final BlockingQueue<Runnable> held = new LinkedBlockingQueue<>();
  final ExecutorService pool = Executors.newCachedThreadPool();
  volatile boolean released;

  @Override
  public synchronized void execute(Runnable r) {
    if (released) {
      pool.execute(r);
    } else {
      held.add(r);
    }
  }

  synchronized void release() {
    released = true;
    Runnable r;
    while ((r = held.poll()) != null) {
      pool.execute(r);
    }
  }
}
