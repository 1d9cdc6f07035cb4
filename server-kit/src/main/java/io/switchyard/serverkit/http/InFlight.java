package io.switchyard.serverkit.http;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The exchanges a server's handlers are running, so that closing can wait for them: the JDK server's own
 * {@code stop(delay)} closes their connections at once with 0, and on JDK 17 waits out the whole delay otherwise,
 * even when nothing runs.
 */
final class InFlight {
  private int active;
  private boolean closing;

  /** False once closing: the exchange is refused, not run. */
  synchronized boolean enter() {
    if (closing) {
      return false;
    }
    active++;
    return true;
  }

  synchronized void exit() {
    if (--active == 0) {
      notifyAll();
    }
  }

  /** Refuses new exchanges from now on and waits up to {@code grace} for the running ones; returns how many are left. */
  synchronized int closeAndAwait(Duration grace) throws InterruptedException {
    closing = true;
    long deadline = System.nanoTime() + grace.toNanos();
    while (active > 0) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        break;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return active;
  }
}
