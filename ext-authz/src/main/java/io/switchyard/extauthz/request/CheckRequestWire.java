package io.switchyard.extauthz.request;

import com.google.protobuf.Internal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the {@link RequestParts} of a CheckRequest straight from its wire bytes, without building the protobuf
 * messages: parsing the whole CheckRequest (a builder, message, map entry and unknown-field set per part) cost more
 * than the rest of a cached Check.
 *
 * <p>It covers the requests Envoy sends — peers, the HTTP request with its {@code headers} map, context extensions,
 * TLS session, empty metadata — and gives up ({@code null}) on anything else: other fields or wire types, a
 * singular message sent twice (protobuf merges those), {@code header_map}, dynamic metadata, a named port,
 * varints or lengths in unusual forms, invalid UTF-8, truncated input. The caller then parses with protobuf, so
 * what is read here always equals what protobuf would have parsed, and malformed input gets protobuf's error.
 */
final class CheckRequestWire {
  /** Gives up on the fast read; thrown without a stack trace, as a jump out of the nested readers. */
  private static final class Unsupported extends Exception {
    Unsupported() {
      super(null, null, false, false);
    }
  }

  private static final Unsupported UNSUPPORTED = new Unsupported();
  private static final int LEN = 2;

  private static final int MEMO_SLOTS = 1024;
  private static final int MEMO_MAX_BYTES = 128;
  /**
   * Short strings recently read on this thread, one per slot, by their bytes. Most of a request's strings (header
   * names, most values, principals, addresses, context extensions) repeat from request to request; a slot is used
   * only when its bytes are equal, and then hands back the same String, already decoded and with its hash code
   * already computed, which the header map and the cache key need. Per thread, so event loops never write to a
   * shared line.
   */
  private static final ThreadLocal<Memo[]> MEMOS = ThreadLocal.withInitial(() -> new Memo[MEMO_SLOTS]);

  /** Bytes that were valid UTF-8, and their text. */
  private record Memo(byte[] bytes, String text) {}

  private final byte[] buf;
  private final Memo[] memo;
  private int pos;
  private int[] headerBounds;
  private int headerCount;
  private int lastStringBytes;

  private CheckRequestWire(byte[] buf, Memo[] memo) {
    this.buf = buf;
    this.memo = memo;
  }

  /** The request's parts, or null when the bytes hold anything this reader does not cover. */
  static RequestParts read(byte[] wire) {
    RequestParts p = new RequestParts();
    CheckRequestWire reader = new CheckRequestWire(wire, MEMOS.get());
    try {
      reader.checkRequest(p, wire.length);
    } catch (Unsupported e) {
      return null;
    }
    if (reader.headerBounds != null) {
      p.headerEntries = new HeaderEntries(wire, Arrays.copyOf(reader.headerBounds, reader.headerCount * 2));
    }
    // The mapping adopts the headers as they are, as it adopts protobuf's unmodifiable map.
    p.headers = Collections.unmodifiableMap(p.headers);
    return p;
  }

  private void checkRequest(RequestParts p, int end) throws Unsupported {
    boolean attributes = false;
    while (pos < end) {
      if (tag(end) != (1 << 3 | LEN) || attributes) {
        throw UNSUPPORTED;
      }
      attributes = true;
      attributes(p, length(end));
    }
  }

  private void attributes(RequestParts p, int end) throws Unsupported {
    boolean source = false;
    boolean destination = false;
    boolean request = false;
    boolean tls = false;
    while (pos < end) {
      switch (tag(end)) {
        case 1 << 3 | LEN -> {
          source = once(source);
          peer(p, false, length(end));
        }
        case 2 << 3 | LEN -> {
          destination = once(destination);
          peer(p, true, length(end));
        }
        case 4 << 3 | LEN -> {
          request = once(request);
          request(p, length(end));
        }
        case 10 << 3 | LEN -> {
          if (p.contextExtensions.isEmpty()) {
            p.contextExtensions = new LinkedHashMap<>();
          }
          mapEntry(p.contextExtensions, length(end));
        }
        // Empty metadata reads as absent; any content is left to protobuf.
        case 11 << 3 | LEN, 13 << 3 | LEN -> {
          if (length(end) != pos) {
            throw UNSUPPORTED;
          }
        }
        case 12 << 3 | LEN -> {
          tls = once(tls);
          tlsSession(p, length(end));
        }
        default -> throw UNSUPPORTED;
      }
    }
  }

  private void peer(RequestParts p, boolean destination, int end) throws Unsupported {
    boolean address = false;
    while (pos < end) {
      switch (tag(end)) {
        case 1 << 3 | LEN -> {
          address = once(address);
          address(p, destination, length(end));
        }
        case 2 << 3 | LEN, 5 << 3 | LEN -> skipString(end);
        case 3 << 3 | LEN -> mapEntry(null, length(end));
        case 4 << 3 | LEN -> {
          String principal = string(end);
          if (destination) {
            p.destinationPrincipal = principal;
          } else {
            p.sourcePrincipal = principal;
          }
        }
        default -> throw UNSUPPORTED;
      }
    }
  }

  private void address(RequestParts p, boolean destination, int end) throws Unsupported {
    boolean socketAddress = false;
    while (pos < end) {
      if (tag(end) != (1 << 3 | LEN)) {
        throw UNSUPPORTED;
      }
      socketAddress = once(socketAddress);
      if (destination) {
        p.destinationSocketAddress = true;
      }
      socketAddress(p, destination, length(end));
    }
  }

  private void socketAddress(RequestParts p, boolean destination, int end) throws Unsupported {
    while (pos < end) {
      switch (tag(end)) {
        case 1 << 3, 6 << 3 -> skipVarint(end);
        case 2 << 3 | LEN -> {
          String ip = string(end);
          if (destination) {
            p.destinationIp = ip;
          } else {
            p.sourceIp = ip;
          }
        }
        case 3 << 3 -> {
          int port = varint32(end);
          if (destination) {
            p.destinationPort = port;
          }
        }
        case 5 << 3 | LEN, 7 << 3 | LEN -> skipString(end);
        default -> throw UNSUPPORTED;
      }
    }
  }

  private void tlsSession(RequestParts p, int end) throws Unsupported {
    while (pos < end) {
      if (tag(end) != (1 << 3 | LEN)) {
        throw UNSUPPORTED;
      }
      p.sni = string(end);
    }
  }

  private void request(RequestParts p, int end) throws Unsupported {
    boolean time = false;
    boolean http = false;
    while (pos < end) {
      switch (tag(end)) {
        case 1 << 3 | LEN -> {
          time = once(time);
          timestamp(length(end));
        }
        case 2 << 3 | LEN -> {
          http = once(http);
          p.http = true;
          http(p, length(end));
        }
        default -> throw UNSUPPORTED;
      }
    }
  }

  private void timestamp(int end) throws Unsupported {
    while (pos < end) {
      int tag = tag(end);
      if (tag != 1 << 3 && tag != 2 << 3) {
        throw UNSUPPORTED;
      }
      skipVarint(end);
    }
  }

  private void http(RequestParts p, int end) throws Unsupported {
    while (pos < end) {
      switch (tag(end)) {
        case 1 << 3 | LEN -> p.id = string(end);
        case 2 << 3 | LEN -> p.method = string(end);
        case 3 << 3 | LEN -> header(p, length(end));
        case 4 << 3 | LEN -> p.path = string(end);
        case 5 << 3 | LEN -> p.host = string(end);
        case 6 << 3 | LEN, 7 << 3 | LEN, 8 << 3 | LEN, 10 << 3 | LEN, 11 << 3 | LEN -> skipString(end);
        case 9 << 3 -> skipVarint(end);
        case 12 << 3 | LEN -> pos = length(end);
        default -> throw UNSUPPORTED;
      }
    }
  }

  /**
   * A header map entry. Its bounds are kept while every entry so far is in the shortest form (name, then value, each
   * with a minimal length) and names a header not seen before, so that the entries match the map one to one.
   */
  private void header(RequestParts p, int end) throws Unsupported {
    if (p.headers.isEmpty()) {
      p.headers = new LinkedHashMap<>();
      headerBounds = new int[32];
    }
    int start = pos;
    String name = "";
    String value = "";
    // 1 after the name, 2 after the name then the value, each in its shortest form; -1 otherwise.
    int shape = 0;
    while (pos < end) {
      int tag = tag(end);
      int from = pos;
      switch (tag) {
        case 1 << 3 | LEN -> {
          name = string(end);
          shape = shape == 0 && shortest(from) ? 1 : -1;
        }
        case 2 << 3 | LEN -> {
          value = string(end);
          shape = shape == 1 && shortest(from) ? 2 : -1;
        }
        default -> throw UNSUPPORTED;
      }
    }
    boolean fresh = p.headers.put(name, value) == null;
    if (headerBounds != null && fresh && shape == 2) {
      if (headerCount * 2 == headerBounds.length) {
        headerBounds = Arrays.copyOf(headerBounds, headerBounds.length * 2);
      }
      headerBounds[headerCount * 2] = start;
      headerBounds[headerCount * 2 + 1] = end;
      headerCount++;
    } else {
      headerBounds = null;
    }
  }

  /** Whether the string just read, which started at {@code from}, had a length prefix of the fewest bytes. */
  private boolean shortest(int from) {
    int n = lastStringBytes;
    int prefix = n < 1 << 7 ? 1 : n < 1 << 14 ? 2 : n < 1 << 21 ? 3 : n < 1 << 28 ? 4 : 5;
    return pos - from == prefix + n;
  }

  /** A {@code map<string, string>} entry; a missing key or value is empty, a repeated key replaces in place. */
  private void mapEntry(Map<String, String> into, int end) throws Unsupported {
    String key = "";
    String value = "";
    while (pos < end) {
      switch (tag(end)) {
        case 1 << 3 | LEN -> key = string(end);
        case 2 << 3 | LEN -> value = string(end);
        default -> throw UNSUPPORTED;
      }
    }
    if (into != null) {
      into.put(key, value);
    }
  }

  private static boolean once(boolean seen) throws Unsupported {
    if (seen) {
      throw UNSUPPORTED;
    }
    return true;
  }

  private int tag(int end) throws Unsupported {
    int tag = varint32(end);
    if (tag <= 0) {
      throw UNSUPPORTED;
    }
    return tag;
  }

  /** The end of the length-delimited field that starts here, within {@code end}. */
  private int length(int end) throws Unsupported {
    int n = varint32(end);
    if (n < 0 || n > end - pos) {
      throw UNSUPPORTED;
    }
    return pos + n;
  }

  /** A varint of at most 5 bytes without bits beyond 32, as a writer encodes an int32 or uint32 of that size. */
  private int varint32(int end) throws Unsupported {
    int v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      if (pos >= end) {
        throw UNSUPPORTED;
      }
      int b = buf[pos++];
      if (shift == 28 && (b & 0xF0) != 0) {
        throw UNSUPPORTED;
      }
      v |= (b & 0x7F) << shift;
      if (b >= 0) {
        return v;
      }
    }
    throw UNSUPPORTED;
  }

  private void skipVarint(int end) throws Unsupported {
    for (int i = 0; i < 10; i++) {
      if (pos >= end) {
        throw UNSUPPORTED;
      }
      if (buf[pos++] >= 0) {
        return;
      }
    }
    throw UNSUPPORTED;
  }

  /** A length-delimited UTF-8 string: ASCII is copied as it is, anything else must be valid UTF-8 as protobuf checks it. */
  private String string(int end) throws Unsupported {
    int to = length(end);
    int from = pos;
    pos = to;
    int n = to - from;
    lastStringBytes = n;
    if (n > MEMO_MAX_BYTES) {
      return decode(from, to);
    }
    int h = n;
    for (int i = from, last = Math.min(to, from + 4); i < last; i++) {
      h = 31 * h + buf[i];
    }
    for (int i = Math.max(from, to - 4); i < to; i++) {
      h = 31 * h + buf[i];
    }
    int slot = (h ^ (h >>> 16)) & (MEMO_SLOTS - 1);
    Memo m = memo[slot];
    if (m != null && Arrays.equals(m.bytes(), 0, m.bytes().length, buf, from, to)) {
      return m.text();
    }
    String s = decode(from, to);
    memo[slot] = new Memo(Arrays.copyOfRange(buf, from, to), s);
    return s;
  }

  private String decode(int from, int to) throws Unsupported {
    int n = to - from;
    // The JDK decodes ASCII with a vectorised scan and one copy. UTF-8 never decodes to more chars than bytes, and
    // only to as many when every byte is ASCII or malformed (each then U+FFFD): so equal length without U+FFFD is
    // ASCII. (For a Latin-1 string, looking for U+FFFD returns at once.)
    String s = new String(buf, from, n, StandardCharsets.UTF_8);
    if (s.length() == n && s.indexOf('\uFFFD') < 0) {
      return s;
    }
    // Protobuf rejects what is not UTF-8, where the JDK would substitute; valid UTF-8 decodes alike in both.
    if (!Internal.isValidUtf8(Arrays.copyOfRange(buf, from, to))) {
      throw UNSUPPORTED;
    }
    return s;
  }

  /** A string field the mapping does not read: protobuf would still reject it if it were not UTF-8. */
  private void skipString(int end) throws Unsupported {
    int to = length(end);
    int from = pos;
    pos = to;
    for (int i = from; i < to; i++) {
      if (buf[i] < 0) {
        if (!Internal.isValidUtf8(Arrays.copyOfRange(buf, from, to))) {
          throw UNSUPPORTED;
        }
        return;
      }
    }
  }
}
