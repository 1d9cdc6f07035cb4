package io.switchyard.topology.query;

import io.switchyard.topology.store.Resolution;
import io.switchyard.topology.store.TopologyStore;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;

/**
 * Finished graphs, so that a dashboard refreshing the same range costs a lookup and the response encoding. A
 * graph is served again only while every bucket it read (roll-up buckets and minutes) is unchanged since
 * the generation read before its pieces were checked, by the same rules as {@link DecodedPieces}: a
 * re-emitted minute, retention or a roll-up rebuild makes it be computed afresh. Bounded by count, least
 * recently used first out. Thread-safe.
 */
final class GraphCache {
  /** What a graph depends on besides the stored data: the resolved window and the request's filters. */
  record Key(QueryWindow window, String namespace, String service, Integer depth, GraphType type) {}

  /** The buckets a graph read: resolution ordinal (-1 for a calendar minute) and start, in pairs. */
  static final class Buckets {
    private long[] pairs = new long[32];
    private int n;

    void add(Resolution r, long bucketStartMs) {
      if (n + 2 > pairs.length) {
        pairs = Arrays.copyOf(pairs, pairs.length * 2);
      }
      pairs[n++] = r == null ? -1 : r.ordinal();
      pairs[n++] = bucketStartMs;
    }

    boolean unchangedSince(TopologyStore store, long generation) {
      Resolution[] resolutions = Resolution.values();
      for (int i = 0; i < n; i += 2) {
        Resolution r = pairs[i] < 0 ? null : resolutions[(int) pairs[i]];
        if (!store.edgeBucketUnchangedSince(r, pairs[i + 1], generation)) {
          return false;
        }
      }
      return true;
    }
  }

  private record Entry(Graph graph, long generation, Buckets buckets) {}

  private final TopologyStore store;
  private final int maxGraphs;
  private final LinkedHashMap<Key, Entry> graphs = new LinkedHashMap<>(16, 0.75f, true);
  private long hits;

  GraphCache(TopologyStore store, int maxGraphs) {
    this.store = store;
    this.maxGraphs = maxGraphs;
  }

  /** The cached graph, or null when absent or when a bucket it read has changed since. */
  synchronized Graph get(Key key) {
    Entry e = graphs.get(key);
    if (e == null) {
      return null;
    }
    if (!e.buckets().unchangedSince(store, e.generation())) {
      graphs.remove(key);
      return null;
    }
    hits++;
    return e.graph();
  }

  synchronized void put(Key key, Graph graph, long generation, Buckets buckets) {
    if (maxGraphs <= 0 || generation < 0) {
      return;
    }
    graphs.put(key, new Entry(graph, generation, buckets));
    Iterator<Entry> eldest = graphs.values().iterator();
    while (graphs.size() > maxGraphs && eldest.hasNext()) {
      eldest.next();
      eldest.remove();
    }
  }

  synchronized long hits() {
    return hits;
  }
}
