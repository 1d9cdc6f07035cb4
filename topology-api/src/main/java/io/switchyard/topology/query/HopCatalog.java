package io.switchyard.topology.query;

import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.NodeRef;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

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
    /** The service the server stands for under {@link MeshRule} ({@code namespace/name}), or null. */
    final String meshServer;
    /** The server is a service node (not a virtual peer): its access-log records make it meshed. */
    final boolean serverIsService;
    /** The namespace-less service whose twin decides {@link #meshServer} in a minute ({@link MeshRule#twinName}), or null. */
    final String twinName;
    /** The hop's name in the store's order keys (see {@link HopCatalog#hop}). */
    final byte[] name;
    private final String[] ids = new String[GraphType.values().length * 4];
    /** Per graph type, set once by the catalog; final fields make it safe to read without its lock. */
    private final Numbers[] numbers = new Numbers[GraphType.values().length];

    Hop(int index, EdgeAggregate first, byte[] name) {
      this.index = index;
      this.name = name;
      this.client = first.getClient();
      this.server = first.getServer();
      this.connectionType = first.getConnectionType();
      this.protocol = first.getProtocol();
      this.meshServer = MeshRule.serverOf(client, server);
      this.serverIsService = MeshRule.isMeshServer(server);
      this.twinName = MeshRule.twinName(client, server);
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

  /**
   * The catalog-wide numbers of a hop's client node, server node and edge in one graph type: hops with the same
   * node id share its number, so a graph finds a node's row by array index instead of hashing its id.
   */
  record Numbers(int client, int server, int edge) {}

  /** Per graph type: node ids and edge ids, numbered in the order first asked for. Guarded by this. */
  private final List<Map<String, Integer>> nodeNumbers = new ArrayList<>();
  private final List<Map<String, Integer>> edgeNumbers = new ArrayList<>();

  {
    for (GraphType ignored : GraphType.values()) {
      nodeNumbers.add(new HashMap<>());
      edgeNumbers.add(new HashMap<>());
    }
  }

  Numbers numbers(Hop hop, GraphType type) {
    Numbers n = hop.numbers[type.ordinal()];
    return n != null ? n : number(hop, type);
  }

  private synchronized Numbers number(Hop hop, GraphType type) {
    Numbers n = hop.numbers[type.ordinal()];
    if (n == null) {
      Map<String, Integer> nodes = nodeNumbers.get(type.ordinal());
      Map<String, Integer> edges = edgeNumbers.get(type.ordinal());
      int client = nodes.computeIfAbsent(hop.clientId(type), k -> nodes.size());
      int server = nodes.computeIfAbsent(hop.serverId(type), k -> nodes.size());
      n = new Numbers(client, server, edges.computeIfAbsent(hop.edgeId(type), k -> edges.size()));
      hop.numbers[type.ordinal()] = n;
    }
    return n;
  }

  /** Node numbers given out so far in {@code type}: every number of {@link #numbers} is below it. */
  synchronized int nodeCount(GraphType type) {
    return nodeNumbers.get(type.ordinal()).size();
  }

  synchronized int edgeCount(GraphType type) {
    return edgeNumbers.get(type.ordinal()).size();
  }

  /**
   * Looked up once per record read, possibly by several decoding threads at once: reads take no lock, only a
   * hop or code seen for the first time does.
   */
  private final Map<Name, Hop> byName = new ConcurrentHashMap<>();
  private Hop[] hops = new Hop[1024];
  private int hopCount;
  private final Map<Name, Integer> codeIndex = new ConcurrentHashMap<>();
  private String[] codes = new String[64];
  private int codeCount;

  /**
   * The hop named by bytes [8, orderLength - 2) of a store order key; {@code value} is parsed on first sight
   * only. {@code probe} is the caller's own, reused for each lookup.
   */
  Hop hop(byte[] order, int orderLength, byte[] value, int valueLength, Name probe) {
    Hop h = byName.get(probe.set(order, 8, orderLength - 2));
    return h != null ? h : addHop(probe, value, valueLength);
  }

  private synchronized Hop addHop(Name name, byte[] value, int valueLength) {
    Hop h = byName.get(name);
    if (h == null) {
      Name kept = name.copy();
      h = new Hop(hopCount, TopologyQueries.parse(value, valueLength), kept.bytes);
      if (hopCount == hops.length) {
        hops = Arrays.copyOf(hops, hopCount * 2);
      }
      hops[hopCount++] = h;
      byName.put(kept, h);
    }
    return h;
  }

  /**
   * Hop numbers of the name lists of stored buckets read lately (see {@link #hopsOfNames}), newest first; replaced
   * whole on change, so readers need no lock.
   */
  private volatile NamedHops[] recentNames = new NamedHops[0];
  static final int RECENT_NAME_LISTS = 4;

  /** A stored bucket's list of hop names, as bytes, and the numbers of its hops in this catalog. */
  private record NamedHops(byte[] names, int[] hops) {}

  /**
   * The hop numbers of a stored bucket's name list {@code bytes[from, to)} when a bucket with the same list was
   * read lately, else null. Buckets of one mesh mostly name the same hops in the same order (every hop of the
   * mesh, in key order), and comparing the list's bytes costs a fraction of looking its thousands of names up one
   * by one. The caller does not change the array returned.
   */
  int[] hopsOfNames(byte[] bytes, int from, int to) {
    for (NamedHops n : recentNames) {
      if (n.names.length == to - from && Arrays.equals(n.names, 0, n.names.length, bytes, from, to)) {
        return n.hops;
      }
    }
    return null;
  }

  /** Keeps {@code hops}, every one of them known, as the numbers of the name list {@code bytes[from, to)}. */
  synchronized void rememberHopsOfNames(byte[] bytes, int from, int to, int[] hops) {
    NamedHops[] old = recentNames;
    NamedHops[] next = new NamedHops[Math.min(RECENT_NAME_LISTS, old.length + 1)];
    next[0] = new NamedHops(Arrays.copyOfRange(bytes, from, to), hops);
    System.arraycopy(old, 0, next, 1, next.length - 1);
    recentNames = next;
  }

  /** The hop of that name if this catalog has met it, else null: a name alone cannot make a hop. */
  Hop known(byte[] bytes, int from, int to, Name probe) {
    return byName.get(probe.set(bytes, from, to));
  }

  /** The number of the response code or flag in bytes [from, to) of {@code bytes}. */
  int code(byte[] bytes, int from, int to, Name probe) {
    Integer i = codeIndex.get(probe.set(bytes, from, to));
    return i != null ? i : addCode(probe);
  }

  private synchronized int addCode(Name name) {
    Integer i = codeIndex.get(name);
    if (i == null) {
      i = codeCount;
      if (codeCount == codes.length) {
        codes = Arrays.copyOf(codes, codeCount * 2);
      }
      codes[codeCount++] = new String(name.bytes, name.from, name.to - name.from, StandardCharsets.UTF_8);
      codeIndex.put(name.copy(), i);
    }
    return i;
  }

  /** Bytes [from, to) of an array, compared by content: a probe pointing into a lent array, or a kept copy. */
  static final class Name {
    private byte[] bytes;
    private int from;
    private int to;
    private int hash;

    Name set(byte[] bytes, int from, int to) {
      this.bytes = bytes;
      this.from = from;
      this.to = to;
      int h = 1;
      for (int i = from; i < to; i++) {
        h = 31 * h + bytes[i];
      }
      this.hash = h;
      return this;
    }

    Name copy() {
      return new Name().set(Arrays.copyOfRange(bytes, from, to), 0, to - from);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Name n && n.hash == hash && Arrays.equals(bytes, from, to, n.bytes, n.from, n.to);
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public String toString() {
      return new String(bytes, from, to - from, StandardCharsets.UTF_8);
    }
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
