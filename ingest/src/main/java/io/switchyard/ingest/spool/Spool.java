package io.switchyard.ingest.spool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bounded, append-only, on-disk FIFO of opaque entries that survives restarts.
 *
 * <p>Layout: segment files {@code <20-digit sequence>.seg} holding records {@code [int length][int crc32c][bytes]},
 * and a {@code cursor} file ({@code "<segment> <offset>"}, replaced atomically) naming the first entry not yet
 * delivered. Appends go straight to the file channel and are fsynced in batches by {@link #sync()}; a torn
 * tail left by a crash fails its checksum and is cut off on open. Entries between the last commit and a crash
 * are delivered again (at-least-once). When the total size would pass the bound, the new entry is refused.
 */
public final class Spool implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Spool.class);
  private static final int HEADER = 8;
  private static final String SUFFIX = ".seg";

  /** A spooled entry and the position just after it (what to commit once it is delivered). */
  public record Entry(byte[] data, Position next) {}

  /** A place in the spool: segment sequence and byte offset inside it. */
  public record Position(long segment, long offset) {}

  private final Path dir;
  private final long maxBytes;
  private final long segmentBytes;
  /** Sizes of live segments by sequence, the active one last. */
  private final TreeMap<Long, Long> segments = new TreeMap<>();
  private FileChannel active;
  private long activeSeq;
  private Position cursor;
  private boolean dirty;
  private long dropped;

  private Spool(Path dir, long maxBytes, long segmentBytes) {
    this.dir = dir;
    this.maxBytes = maxBytes;
    this.segmentBytes = segmentBytes;
  }

  public static Spool open(Path dir, long maxBytes, long segmentBytes) throws IOException {
    if (segmentBytes < 1024 || maxBytes < segmentBytes) {
      throw new IllegalArgumentException("need 1024 <= segmentBytes <= maxBytes, got " + segmentBytes + ", " + maxBytes);
    }
    Files.createDirectories(dir);
    Spool s = new Spool(dir, maxBytes, segmentBytes);
    s.recover();
    return s;
  }

  private void recover() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        String name = p.getFileName().toString();
        if (name.endsWith(SUFFIX)) {
          try {
            segments.put(Long.parseLong(name.substring(0, name.length() - SUFFIX.length())), Files.size(p));
          } catch (NumberFormatException e) {
            log.warn("ignoring unexpected file in spool {}: {}", dir, name);
          }
        }
      }
    }
    if (segments.isEmpty()) {
      segments.put(1L, 0L);
    }
    activeSeq = segments.lastKey();
    long valid = validLength(segmentPath(activeSeq));
    active = FileChannel.open(segmentPath(activeSeq), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.READ);
    if (valid < active.size()) {
      log.warn("spool {}: cutting torn tail of segment {} at {} (was {} bytes)", dir, activeSeq, valid, active.size());
      active.truncate(valid);
      active.force(true);
    }
    active.position(valid);
    segments.put(activeSeq, valid);
    cursor = readCursor();
    if (!segments.containsKey(cursor.segment()) || cursor.offset() > segments.get(cursor.segment())) {
      cursor = new Position(segments.firstKey(), 0);
    }
    segments.headMap(cursor.segment()).keySet().stream().toList().forEach(this::deleteSegment);
  }

  /** Length of the prefix of a segment made of whole, checksum-valid records. */
  private static long validLength(Path segment) throws IOException {
    if (!Files.exists(segment)) {
      return 0;
    }
    try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.READ)) {
      long pos = 0;
      long size = ch.size();
      ByteBuffer header = ByteBuffer.allocate(HEADER);
      while (pos + HEADER <= size) {
        header.clear();
        ch.read(header, pos);
        header.flip();
        int len = header.getInt();
        int crc = header.getInt();
        if (len < 0 || pos + HEADER + len > size) {
          return pos;
        }
        ByteBuffer data = ByteBuffer.allocate(len);
        ch.read(data, pos + HEADER);
        if (crc(data.array()) != crc) {
          return pos;
        }
        pos += HEADER + len;
      }
      return pos;
    }
  }

  /** Appends an entry; false (and counted) when the spool is full. Not yet durable until {@link #sync()}. */
  public synchronized boolean append(byte[] data) throws IOException {
    long need = HEADER + data.length;
    if (bytes() + need > maxBytes) {
      dropped++;
      return false;
    }
    if (segments.get(activeSeq) > 0 && segments.get(activeSeq) + need > segmentBytes) {
      roll();
    }
    ByteBuffer buf = ByteBuffer.allocate((int) need);
    buf.putInt(data.length).putInt(crc(data)).put(data).flip();
    while (buf.hasRemaining()) {
      active.write(buf);
    }
    segments.merge(activeSeq, need, Long::sum);
    dirty = true;
    return true;
  }

  private void roll() throws IOException {
    active.force(true);
    active.close();
    activeSeq++;
    active = FileChannel.open(segmentPath(activeSeq), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
        StandardOpenOption.READ);
    segments.put(activeSeq, 0L);
    dirty = false;
  }

  /** Makes appended entries durable; cheap when nothing was appended since the last call. */
  public synchronized void sync() throws IOException {
    if (dirty) {
      active.force(false);
      dirty = false;
    }
  }

  /** Up to {@code max} entries from the cursor on, in append order, without consuming them. */
  public synchronized List<Entry> peek(int max) throws IOException {
    List<Entry> out = new ArrayList<>();
    Position pos = cursor;
    while (out.size() < max) {
      Long size = segments.get(pos.segment());
      if (size == null) {
        break;
      }
      if (pos.offset() >= size) {
        Long next = segments.higherKey(pos.segment());
        if (next == null) {
          break;
        }
        pos = new Position(next, 0);
        continue;
      }
      try (FileChannel ch = FileChannel.open(segmentPath(pos.segment()), StandardOpenOption.READ)) {
        long off = pos.offset();
        ByteBuffer header = ByteBuffer.allocate(HEADER);
        while (out.size() < max && off + HEADER <= size) {
          header.clear();
          ch.read(header, off);
          header.flip();
          int len = header.getInt();
          int crc = header.getInt();
          if (len < 0 || off + HEADER + len > size) {
            break;
          }
          ByteBuffer data = ByteBuffer.allocate(len);
          ch.read(data, off + HEADER);
          off += HEADER + len;
          if (crc(data.array()) != crc) {
            log.warn("spool {}: skipping corrupt entry in segment {}", dir, pos.segment());
            continue;
          }
          out.add(new Entry(data.array(), new Position(pos.segment(), off)));
        }
        pos = new Position(pos.segment(), off >= size ? size : off);
        if (off < size && out.size() < max) {
          // A record header claims more than the segment holds: skip the rest of this segment.
          pos = new Position(pos.segment(), size);
        }
      }
    }
    return out;
  }

  /** Marks everything before {@code next} delivered: persists the cursor and deletes finished segments. */
  public synchronized void commit(Position next) throws IOException {
    cursor = next;
    for (Long seq : segments.headMap(next.segment()).keySet().stream().toList()) {
      deleteSegment(seq);
    }
    if (next.segment() == activeSeq && next.offset() >= segments.get(activeSeq) && next.offset() > 0) {
      // Drained: start a fresh segment so the file does not grow forever.
      roll();
      deleteSegment(next.segment());
      cursor = new Position(activeSeq, 0);
    }
    writeCursor(cursor);
  }

  public synchronized boolean isEmpty() {
    return bytes() == 0;
  }

  /** Bytes not yet delivered (headers included). */
  public synchronized long bytes() {
    long total = 0;
    for (var e : segments.entrySet()) {
      total += e.getValue();
    }
    return total - cursor.offset();
  }

  public synchronized long dropped() {
    return dropped;
  }

  public long maxBytes() {
    return maxBytes;
  }

  private void deleteSegment(long seq) {
    segments.remove(seq);
    try {
      Files.deleteIfExists(segmentPath(seq));
    } catch (IOException e) {
      log.warn("spool {}: could not delete segment {}: {}", dir, seq, e.toString());
    }
  }

  private Path segmentPath(long seq) {
    return dir.resolve(String.format("%020d%s", seq, SUFFIX));
  }

  private Position readCursor() throws IOException {
    Path p = dir.resolve("cursor");
    if (!Files.exists(p)) {
      return new Position(segments.firstKey(), 0);
    }
    String[] parts = Files.readString(p, StandardCharsets.US_ASCII).trim().split(" ");
    try {
      return new Position(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
    } catch (RuntimeException e) {
      log.warn("spool {}: unreadable cursor, replaying from the oldest segment", dir);
      return new Position(segments.firstKey(), 0);
    }
  }

  private void writeCursor(Position c) throws IOException {
    Path tmp = dir.resolve("cursor.tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ch.write(ByteBuffer.wrap((c.segment() + " " + c.offset() + "\n").getBytes(StandardCharsets.US_ASCII)));
      ch.force(true);
    }
    try {
      Files.move(tmp, dir.resolve("cursor"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, dir.resolve("cursor"), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static int crc(byte[] data) {
    CRC32C c = new CRC32C();
    c.update(data);
    return (int) c.getValue();
  }

  @Override
  public synchronized void close() throws IOException {
    sync();
    active.close();
  }
}
