package io.switchyard.topology.store;

import com.google.protobuf.InvalidProtocolBufferException;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.ServiceAggregate;
import io.switchyard.model.v1.SloAlertRecord;
import io.switchyard.model.v1.SloStatusRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Writes gathered from one poll, applied with their offsets in one atomic store write. */
public final class StoreBatch {
  final List<EdgeWrite> edges = new ArrayList<>();
  final List<Keyed<ServiceAggregate>> services = new ArrayList<>();
  final List<Keyed<SloStatusRecord>> sloStatuses = new ArrayList<>();
  final List<String> sloDeletes = new ArrayList<>();
  final List<SloAlertRecord> alerts = new ArrayList<>();
  final Map<String, Long> offsets = new LinkedHashMap<>();

  record Keyed<T>(String key, T value) {}

  /** A serialized edge window as stored, with its figures decoded once. */
  record EdgeWrite(byte[] hop, byte[] value, EdgeSums sums) {}

  /** An edge window; {@code key} is the Kafka key ("client->server"), derived from the record when null. */
  public StoreBatch edge(String key, EdgeAggregate edge) {
    byte[] value = edge.toByteArray();
    String k = key != null && !key.isEmpty() ? key : edge.getClient().getName() + "->" + edge.getServer().getName();
    edges.add(new EdgeWrite(k.getBytes(StandardCharsets.UTF_8), value, EdgeSums.decode(value)));
    return this;
  }

  /**
   * An edge window as read from Kafka (an {@code EdgeAggregate}'s bytes, kept as they are); {@code key} as
   * for {@link #edge(String, EdgeAggregate)}.
   *
   * @throws InvalidProtocolBufferException when the bytes are not an edge aggregate; the batch is unchanged
   */
  public StoreBatch edge(byte[] key, byte[] value) throws InvalidProtocolBufferException {
    EdgeSums sums = EdgeSums.parse(value);
    byte[] hop = key;
    if (hop == null || hop.length == 0) {
      EdgeAggregate e = EdgeAggregate.parseFrom(value);
      hop = (e.getClient().getName() + "->" + e.getServer().getName()).getBytes(StandardCharsets.UTF_8);
    }
    edges.add(new EdgeWrite(hop, value, sums));
    return this;
  }

  public StoreBatch service(String key, ServiceAggregate service) {
    String k = key != null && !key.isEmpty() ? key : service.getService().getName();
    services.add(new Keyed<>(k, service));
    return this;
  }

  public StoreBatch sloStatus(String key, SloStatusRecord status) {
    String k = key != null && !key.isEmpty() ? key : status.getName();
    // The store applies a batch's statuses before its tombstones: only the last of them per SLO may stay, or an
    // SLO removed and applied again within one poll (a replica catching up, a restart re-reading) would be deleted.
    sloDeletes.remove(k);
    sloStatuses.add(new Keyed<>(k, status));
    return this;
  }

  /** A tombstone on the compacted status topic: the SLO was removed. */
  public StoreBatch sloDeleted(String name) {
    sloStatuses.removeIf(s -> s.key().equals(name));
    sloDeletes.add(name);
    return this;
  }

  public StoreBatch sloAlert(SloAlertRecord alert) {
    alerts.add(alert);
    return this;
  }

  /** The next offset to read for a partition once this batch is stored. */
  public StoreBatch offset(String topic, int partition, long nextOffset) {
    offsets.put(topic + "#" + partition, nextOffset);
    return this;
  }

  public int size() {
    return edges.size() + services.size() + sloStatuses.size() + sloDeletes.size() + alerts.size();
  }

  public boolean isEmpty() {
    return size() == 0 && offsets.isEmpty();
  }
}
