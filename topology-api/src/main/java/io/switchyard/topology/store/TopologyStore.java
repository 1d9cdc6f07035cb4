package io.switchyard.topology.store;

import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.ServiceAggregate;
import io.switchyard.model.v1.SloAlertRecord;
import io.switchyard.model.v1.SloStatusRecord;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The materialised view of the Flink jobs' output. Aggregates are kept per (key, window start, source)
 * so a re-emitted window overwrites the earlier one; cumulative totals per (key, source) follow every
 * overwrite by delta so that counters exposed to Prometheus never double count.
 */
public interface TopologyStore extends AutoCloseable {

  /** Applies every write of the batch and its consumed offsets atomically. */
  void write(StoreBatch batch);

  /**
   * Completes the roll-ups of every bucket ending at or before the newest stored window. A writer calls it
   * once it has read all there is: while it reads ahead, a bucket completes a short grace after its end.
   */
  void completeRollups();

  /** Edge windows whose start lies in [fromMs, toMs), ordered by window start, edge key, source. */
  void scanEdges(long fromMs, long toMs, Consumer<EdgeAggregate> sink);

  /**
   * The stored bytes of the edge windows whose start lies in [fromMs, toMs), in the order of
   * {@link #scanEdges}: {@code order} is an opaque key in which records of the same hop and window are
   * adjacent and equal up to their last byte (the telemetry source); bytes [8, length - 2) name the hop.
   * {@code value} is an {@code EdgeAggregate}. For readers that decode only what they need.
   */
  void scanEdgeBytes(long fromMs, long toMs, RawSink sink);

  /**
   * Roll-up buckets (of every resolution) ending at or before this time hold every stored minute of theirs;
   * a later bucket's roll-up may be missing or partial, and a reader takes its minutes instead.
   */
  default long rollupsCompleteUntil() {
    return Long.MAX_VALUE;
  }

  /**
   * A counter that grows whenever edge data changes; read it before a scan and pass it to
   * {@link #edgeBucketUnchangedSince} to learn whether what the scan saw of a bucket is still what is stored.
   * Negative when the store does not track changes (then nothing read may be cached).
   */
  default long edgeGeneration() {
    return -1;
  }

  /**
   * Whether the edge records of the bucket of {@code resolution} (null: the calendar minute) starting at
   * {@code bucketStartMs} are unchanged since {@code generation} was read: no write, retention or rebuild has
   * touched them after it.
   */
  default boolean edgeBucketUnchangedSince(Resolution resolution, long bucketStartMs, long generation) {
    return false;
  }

  /**
   * Copies the stored pre-decoded form of the edge bucket of {@code resolution} (null: the calendar minute)
   * starting at {@code bucketStartMs}, as {@link #putDecodedEdgeBucket} stored it, into {@code into}, and returns
   * its length: -1 when there is none; when larger than {@code into}, only a prefix was copied (call again with an
   * array that long). A reader's own array, so a read allocates nothing: a bucket is about a megabyte, which G1
   * allocates outside the young generation. What is read was current when stored, and the store deletes it
   * with (or before) any change to the bucket's records; a reader still stamps what it builds from it with the
   * generation read before this call, as for a scan.
   */
  default int decodedEdgeBucket(Resolution resolution, long bucketStartMs, byte[] into) {
    return -1;
  }

  /**
   * Stores {@code value} as the pre-decoded form of a bucket, unless the bucket changed after {@code generation}
   * (read before the scan the value was built from; then nothing is stored). Returns whether it was stored.
   */
  default boolean putDecodedEdgeBucket(Resolution resolution, long bucketStartMs, long generation, byte[] value) {
    return false;
  }

  /** Receives stored records; the arrays belong to the receiver. */
  interface RawSink {
    void accept(byte[] order, byte[] value);
  }

  /**
   * The edge minutes ({@code resolution} null) or the roll-up windows of {@code resolution} whose start lies in
   * [fromMs, toMs), in the layout of {@link #scanEdgeBytes}, with the arrays lent: valid only during the call,
   * and refilled for the next record. For readers that decode each record once and keep nothing of its bytes,
   * so that a scan allocates nothing per record. A roll-up window holds, for one hop and bucket, the sum of the
   * minute windows a graph picks (per minute the highest telemetry source, mesh over trace), one record per
   * picked source. Only windows that fit inside one bucket are rolled up.
   */
  void scanEdgeLent(Resolution resolution, long fromMs, long toMs, LentSink sink);

  /**
   * A stored record in lent arrays: {@code order[0, orderLength)} and {@code value[0, valueLength)}, laid out as
   * the arrays of {@link RawSink}.
   */
  interface LentSink {
    void accept(byte[] order, int orderLength, byte[] value, int valueLength);
  }

  /** Service windows whose start lies in [fromMs, toMs), ordered by window start, service, source. */
  void scanServices(long fromMs, long toMs, Consumer<ServiceAggregate> sink);

  /**
   * As {@link #scanServices(long, long, Consumer)}, for a query about one service: windows of other services
   * may be left out ({@code name} null: none is).
   */
  default void scanServices(long fromMs, long toMs, String name, Consumer<ServiceAggregate> sink) {
    scanServices(fromMs, toMs, sink);
  }

  /** Whether {@link #scanServiceRollups} is available; without it a services query adds up minutes. */
  default boolean hasServiceRollups() {
    return false;
  }

  /**
   * Service roll-up windows of {@code resolution} whose bucket starts in [fromMs, toMs), ordered by bucket start,
   * service key, source. Each holds, for one service key, bucket and telemetry source, the sum of the service
   * minutes a query picks (per key and minute the highest source, mesh over trace) that lie inside the bucket;
   * the window is the bucket's. Always equal to the stored minutes: written in the same batch as they are.
   * Roll-ups of services other than {@code name} may be left out ({@code name} null: none is).
   */
  default void scanServiceRollups(Resolution resolution, long fromMs, long toMs, String name,
      Consumer<ServiceAggregate> sink) {
    throw new UnsupportedOperationException("this store keeps no service roll-ups");
  }

  /** Cumulative totals per edge and telemetry source (window start = first, end = newest window seen). */
  void scanEdgeTotals(Consumer<EdgeAggregate> sink);

  /** Cumulative totals per service and telemetry source. */
  void scanServiceTotals(Consumer<ServiceAggregate> sink);

  /** The newest status of every SLO, by name. */
  List<SloStatusRecord> sloStatuses();

  Optional<SloStatusRecord> sloStatus(String name);

  /** Alert transitions of one SLO, oldest first. */
  List<SloAlertRecord> sloAlerts(String slo);

  /** Next offset to consume per "topic#partition", as committed with the last batch. */
  Map<String, Long> offsets();

  /** What the newest stored aggregates cover. */
  Freshness freshness();

  /** Start of the oldest stored edge or service minute; {@code Long.MAX_VALUE} when none is stored. */
  long oldestWindowStartMs();

  /**
   * Removes aggregate windows that start before {@code cutoffMs} and alert transitions older than it;
   * roll-ups keep holding exactly the minutes that stay. Totals stay.
   */
  long deleteOlderThan(long cutoffMs);

  @Override
  void close();

  /** Newest aggregate window stored; zeros when nothing is stored yet. */
  record Freshness(long newestWindowEndMs, long windowMillis, long newestEmittedMs) {
    public static final Freshness EMPTY = new Freshness(0, 0, 0);

    public boolean hasData() {
      return newestWindowEndMs > 0;
    }

    Freshness advance(long windowStart, long windowEnd, long emitted) {
      if (windowEnd <= newestWindowEndMs) {
        return emitted > newestEmittedMs ? new Freshness(newestWindowEndMs, windowMillis, emitted) : this;
      }
      long width = windowEnd > windowStart ? windowEnd - windowStart : windowMillis;
      return new Freshness(windowEnd, width, Math.max(emitted, newestEmittedMs));
    }
  }
}
