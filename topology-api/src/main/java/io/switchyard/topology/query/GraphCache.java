package io.switchyard.topology.query;

import io.switchyard.topology.store.Resolution;
import io.switchyard.topology.store.TopologyStore;
import java.lang.ref.WeakReference;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;

/**
 * Finished graphs, so that a dashboard refreshing the same range costs a lookup and the response encoding. A
 * graph is served again only while every bucket it read (roll-up buckets and minutes) is unchanged since
 * the generation read before its pieces were checked, by the same rules as {@link DecodedPieces}: a
 * re-emitted minute, retention or a roll-up rebuild makes it be computed afresh. Thread-safe.
 *
 * <p>A graph is held strongly only from its second request on (bounded by count, least recently used first out).
 * Most graphs are asked for once (a ragged range, each minute's sliding {@code now-1h}), and a 5,000-edge graph is
 * about 3 MB of small objects: kept eight deep, every young collection copied the last few of them. A graph asked
 * for once is held weakly, so a repeat before the next collection still gets the same graph, and its key is
 * remembered, so the graph computed for a repeat after a collection is kept.
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

  /** A graph asked for once; its reference is cleared once nothing else holds it. */
  private record Once(WeakReference<Graph> graph, long generation, Buckets buckets) {}

  /** A key asked for before whose graph is gone or out of date: the graph computed for it next is kept. */
  private static final Once ASKED = new Once(new WeakReference<>(null), -1, null);

  /** Keys of graphs asked for once, per graph kept: a key and its bucket list are a few hundred bytes. */
  static final int ONCE_PER_GRAPH = 8;

  private final TopologyStore store;
  private final int maxGraphs;
  private final LinkedHashMap<Key, Entry> graphs = new LinkedHashMap<>(16, 0.75f, true);
  private final LinkedHashMap<Key, Once> once = new LinkedHashMap<>(16, 0.75f, true);
  private long hits;

  GraphCache(TopologyStore store, int maxGraphs) {
    this.store = store;
    this.maxGraphs = maxGraphs;
  }

  /** The cached graph, or null when absent or when a bucket it read has changed since. */
  synchronized Graph get(Key key) {
    Entry e = graphs.get(key);
    if (e == null) {
      return askedAgain(key);
    }
    if (!e.buckets().unchangedSince(store, e.generation())) {
      graphs.remove(key);
      // Asked for before: the graph computed now is kept.
      remember(key, ASKED);
      return null;
    }
    hits++;
    return e.graph();
  }

  /** A graph asked for once and still reachable and current: held strongly from now on. */
  private Graph askedAgain(Key key) {
    Once o = once.get(key);
    Graph g = o == null ? null : o.graph().get();
    if (g == null) {
      return null;
    }
    if (!o.buckets().unchangedSince(store, o.generation())) {
      remember(key, ASKED);
      return null;
    }
    once.remove(key);
    keep(key, new Entry(g, o.generation(), o.buckets()));
    hits++;
    return g;
  }

  synchronized void put(Key key, Graph graph, long generation, Buckets buckets) {
    if (maxGraphs <= 0 || generation < 0) {
      return;
    }
    if (once.remove(key) != null) {
      keep(key, new Entry(graph, generation, buckets));
      return;
    }
    remember(key, new Once(new WeakReference<>(graph), generation, buckets));
  }

  private void remember(Key key, Once o) {
    once.put(key, o);
    trim(once, maxGraphs * ONCE_PER_GRAPH);
  }

  private void keep(Key key, Entry e) {
    graphs.put(key, e);
    trim(graphs, maxGraphs);
  }

  private static void trim(LinkedHashMap<Key, ?> map, int max) {
    Iterator<?> eldest = map.values().iterator();
    while (map.size() > max && eldest.hasNext()) {
      eldest.next();
      eldest.remove();
    }
  }

  synchronized long hits() {
    return hits;
  }
}
