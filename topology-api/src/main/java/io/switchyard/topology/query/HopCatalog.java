package io.switchyard.topology.query;

import com.google.protobuf.ByteString;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.NodeRef;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Numbers the hops and response codes that graph reads meet, so decoded pieces hold ints and a graph adds
 * arrays instead of hashing names per record. A hop's node references, connection type and protocol come
 * from the first record of it this catalog decoded: they are part of the hop's key (both node identities,
 * the connection type and the protocol), so every record of the hop carries the same ones. Node ids and
 * labels of each graph type are computed once per hop. Thread-safe; it only grows, and its owner replaces
 * it (dropping every piece numbered by it) when it holds too much.
 */
final class HopCatalog {
  static final int MAX_HOPS = 1_000_000;
  static final int MAX_CODES = 65_536;

  /** One hop of the store; ids are filled on first use per graph type (idempotent, so races are benign). */
  static final class Hop {
    final int index;
    final NodeRef client;
    final NodeRef server;
    final String connectionType;
    final String protocol;
    private final String[] ids = new String[GraphType.values().length * 4];

    Hop(int index, EdgeAggregate first) {
      this.index = index;
      this.client = first.getClient();
      this.server = first.getServer();
      this.connectionType = first.getConnectionType();
      this.protocol = first.getProtocol();
    }

    String clientId(GraphType t) {
      return id(t, 0);
    }

    String serverId(GraphType t) {
      return id(t, 1);
    }

    String edgeId(GraphType t) {
      return id(t, 2);
    }

    private String id(GraphType t, int what) {
      int i = t.ordinal() * 4 + what;
      String s = ids[i];
      if (s == null) {
        s = switch (what) {
          case 0 -> t.nodeId(client);
          case 1 -> t.nodeId(server);
          default -> clientId(t) + "->" + serverId(t);
        };
        ids[i] = s;
      }
      return s;
    }
  }

  private final Map<TopologyQueries.HopId, Hop> byName = new HashMap<>();
  private Hop[] hops = new Hop[1024];
  private int hopCount;
  private final Map<ByteString, Integer> codeIndex = new HashMap<>();
  private String[] codes = new String[64];
  private int codeCount;

  /** The hop named by bytes [8, length - 2) of a store order key; {@code value} is parsed on first sight only. */
  synchronized Hop hop(byte[] order, byte[] value) {
    TopologyQueries.HopId id = TopologyQueries.hopId(order);
    Hop h = byName.get(id);
    if (h == null) {
      h = new Hop(hopCount, TopologyQueries.parse(value));
      if (hopCount == hops.length) {
        hops = Arrays.copyOf(hops, hopCount * 2);
      }
      hops[hopCount++] = h;
      byName.put(id, h);
    }
    return h;
  }

  synchronized int code(ByteString bytes) {
    Integer i = codeIndex.get(bytes);
    if (i == null) {
      i = codeCount;
      if (codeCount == codes.length) {
        codes = Arrays.copyOf(codes, codeCount * 2);
      }
      codes[codeCount++] = bytes.toStringUtf8();
      codeIndex.put(bytes, i);
    }
    return i;
  }

  synchronized Hop hop(int index) {
    return hops[index];
  }

  synchronized String codeName(int index) {
    return codes[index];
  }

  synchronized int hopCount() {
    return hopCount;
  }

  synchronized boolean full() {
    return hopCount >= MAX_HOPS || codeCount >= MAX_CODES;
  }
}
