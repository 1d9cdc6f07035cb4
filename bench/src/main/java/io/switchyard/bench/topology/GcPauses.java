package io.switchyard.bench.topology;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * Collector pauses while a phase runs, from the JVM's collection notifications: a query's tail on a shared machine
 * is mostly other processes, its pauses are not. Counts the stop-the-world collections of any collector (G1's young
 * and mixed pauses and full collections, ZGC's and Shenandoah's pauses), not their concurrent cycles; G1's remark
 * and cleanup pauses are not reported this way on JDK 17.
 */
final class GcPauses implements AutoCloseable {
  private final List<Runnable> removals = new ArrayList<>();
  private int count;
  private double maxMs;
  private double sumMs;

  GcPauses() {
    NotificationListener listener = (n, handback) -> {
      if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
        return;
      }
      GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
      if (info.getGcName().endsWith("Cycles")) {
        return;
      }
      add(info.getGcInfo().getDuration());
    };
    for (GarbageCollectorMXBean bean : ManagementFactory.getGarbageCollectorMXBeans()) {
      NotificationEmitter emitter = (NotificationEmitter) bean;
      emitter.addNotificationListener(listener, null, null);
      removals.add(() -> {
        try {
          emitter.removeNotificationListener(listener);
        } catch (javax.management.ListenerNotFoundException e) {
          throw new IllegalStateException(e);
        }
      });
    }
  }

  private synchronized void add(long ms) {
    count++;
    sumMs += ms;
    maxMs = Math.max(maxMs, ms);
  }

  /** Pauses so far: count, longest and sum per query. */
  synchronized String summary(int queries) {
    return String.format(Locale.ROOT, "gc pauses %d, max %.0f ms, %.2f ms/query", count, maxMs, sumMs / queries);
  }

  @Override
  public void close() {
    removals.forEach(Runnable::run);
  }
}
