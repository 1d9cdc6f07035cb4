package io.switchyard.flinkjobs.graph;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.HexFormat;

/**
 * The trace keys that may be in the pairing state, kept on the heap so that a batch of a trace that is
 * surely not there (nearly every new trace) skips the RocksDB read: a read that misses cost 3.4–5.7 µs,
 * the largest item of a request's CPU. It never gives a false negative: every key in the state is in
 * the filter once it is {@link #complete()}; a false positive only costs the read that would have been
 * done anyway.
 *
 * <p>How it stays exact, without being in any snapshot:
 * <ul>
 *   <li>At start it is complete only when the state is empty ({@link #startEmpty()}); after a restore
 *       it is unknown and every batch reads the state, as without a filter.
 *   <li>The pairing adds a key whenever it writes a trace that it did not read from the state
 *       ({@link #added}), or already when its lookup finds the key surely absent ({@link #mayHoldElseAdd}),
 *       since it is about to write it.
 *   <li>A walk of the sweep that visits every key existing at its start rebuilds it: {@link #walkStarted}
 *       opens a new filter, every key the walk keeps goes into it ({@link #walkKept}), every key added
 *       meanwhile goes into both, and {@link #walkEnded} swaps it in. So a key in the state at the
 *       walk's end either existed at its start and was visited, or was written since. Traces the walk
 *       (or anything else) deleted drop out, which keeps the filter the size of the live state. A walk
 *       that does not end (a new one, a restart) leaves the current filter as it was.
 *   <li>Deleting every key ({@link #emptied}) makes it complete and empty.
 * </ul>
 *
 * <p>It is a chain of blocked Bloom filters: a key sets {@link #HASHES} bits in one 512-bit block (one
 * cache line), about {@value #BITS_PER_KEY}–{@value #BITS_PER_KEY}×2 bits per key, under 2 % false
 * positives. When the newest part holds as many keys as it was sized for, a part four times larger
 * follows it (a lookup then reads a line in each part); the next rebuild sizes one part for them all.
 *
 * <p>The access-log pairing keeps one for its request keys by the same rules ({@code mesh.PairStateSweep}); those
 * keys are not hex, so they are hashed by their UTF-8 bytes ({@link #hash(String)}).
 */
public final class TraceKeyFilter {
  static final int BITS_PER_KEY = 10;
  static final int HASHES = 6;
  /** Keys the first part is sized for (about 160–320 KiB). */
  static final int MIN_KEYS = 1 << 17;
  private static final int GROWTH = 4;

  private Chain current = new Chain(MIN_KEYS);
  private boolean complete;
  /** The filter a walk under way builds, {@code null} when none does. */
  private Chain next;

  /** The state is known empty (a fresh start): the filter is complete from here on. */
  public void startEmpty() {
    current = new Chain(MIN_KEYS);
    complete = true;
  }

  /** Whether every key in the state is in the filter. */
  boolean complete() {
    return complete;
  }

  /** Whether {@code key} may be in the state: false only when the filter is complete and lacks it. */
  boolean mayHold(String key) {
    return mayHold(hash(key));
  }

  /** {@link #mayHold(String)} of the key whose {@link #hash} is {@code h}. */
  boolean mayHold(long h) {
    return !complete || current.mightContain(h);
  }

  /**
   * {@link #mayHold(long)}, and when the answer is no, the key whose hash is {@code h} is {@link #added(long)} at
   * once, while the lines its lookup read are still in the CPU's caches (adding it after the trace's spans were
   * paired read them again, cold). The caller is about to write that key; if it then does not, the filter holds one
   * key too many, which costs only a read that finds nothing.
   */
  public boolean mayHoldElseAdd(long h) {
    if (mayHold(h)) {
      return true;
    }
    added(h);
    return false;
  }

  /** The pairing wrote {@code key} without having read it from the state. */
  void added(String key) {
    added(hash(key));
  }

  /** {@link #added(String)} of the key whose {@link #hash} is {@code h}. */
  public void added(long h) {
    current.add(h);
    if (next != null) {
      next.add(h);
    }
  }

  /** A walk that visits every key existing now has started: a new filter is built alongside. */
  public void walkStarted() {
    next = new Chain((int) Math.min(Integer.MAX_VALUE / 2, Math.max(MIN_KEYS, current.keys())));
  }

  /** The walk under way visited {@code key} and left it in the state. */
  public void walkKept(String key) {
    if (next != null) {
      next.add(hash(key));
    }
  }

  /** The walk under way has visited its last key: its filter holds every key in the state. */
  public void walkEnded() {
    if (next != null) {
      current = next;
      next = null;
      complete = true;
    }
  }

  /** The walk under way stopped before its end: its filter is incomplete. */
  public void walkDropped() {
    next = null;
  }

  /** Every key was deleted from the state. */
  public void emptied() {
    next = null;
    startEmpty();
  }

  /** Keys added to the filter in use since it was made (deleted ones included): its size bound. */
  long keys() {
    return current.keys();
  }

  /** Parts of the filter in use (for tests). */
  int parts() {
    return current.parts.length;
  }

  private static final VarHandle WORDS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  /**
   * The hash of trace key {@code key}: that of the trace id it is the hex of ({@link #hash(byte[], int, int)}),
   * so the pairing hashes the id's bytes it already has instead of the key's characters (reading the key
   * String char by char was a quarter of the span chain thread's samples in a profile). A key that is not
   * hex of whole bytes is never the key of a batch: its hash only has to be a stable one.
   */
  public static long hash(String key) {
    int n = key.length();
    byte[] id = new byte[n >>> 1];
    boolean hex = (n & 1) == 0;
    for (int i = 0; hex && i < id.length; i++) {
      char hi = key.charAt(2 * i);
      char lo = key.charAt(2 * i + 1);
      hex = HexFormat.isHexDigit(hi) && HexFormat.isHexDigit(lo);
      if (hex) {
        id[i] = (byte) (HexFormat.fromHexDigit(hi) << 4 | HexFormat.fromHexDigit(lo));
      }
    }
    if (hex) {
      return hash(id, 0, id.length);
    }
    byte[] chars = key.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return ~hash(chars, 0, chars.length);
  }

  /**
   * A 64-bit hash of bytes {@code [from, from + n)} of {@code b} (a trace id), eight at a time, then
   * MurmurHash3's finalizer. Trace ids are random, so this only has to spread them evenly, not resist
   * chosen input (a crafted collision costs a state read, never a result).
   */
  static long hash(byte[] b, int from, int n) {
    long h = 0x9E3779B97F4A7C15L ^ n;
    int i = from;
    int end = from + n;
    for (; i + 8 <= end; i += 8) {
      h = (h ^ (long) WORDS.get(b, i)) * 0xC2B2AE3D27D4EB4FL;
      h ^= h >>> 31;
    }
    for (; i < end; i++) {
      h = (h ^ (b[i] & 0xFF)) * 0xC2B2AE3D27D4EB4FL;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }

  /** Blocked Bloom filters, each sized for {@code GROWTH} times the keys of the one before. */
  private static final class Chain {
    /**
     * Adds between two looks at whether the newest part is full. Comparing on every add made a branch
     * that no profile had seen taken until the first part filled (at {@link TraceKeyFilter#MIN_KEYS} new traces, in
     * every run past that size), so C2 compiled it as a trap, and taking it threw away the compiled
     * pairing ({@code ServiceGraphFunction.processElement} with this inlined: 0.2–0.34 s of C2 to
     * compile again). A look every few hundred adds is a branch the profile sees taken, and the look
     * itself is a call too cold to be inlined, so growing costs only the look's own code.
     */
    static final int ADDS_PER_LOOK = 256;
    private Part[] parts;
    private long keys;
    /** Adds that may go into the newest part before the next look at its room. */
    private int addsBeforeLook;

    Chain(int firstKeys) {
      parts = new Part[] {new Part(firstKeys)};
    }

    long keys() {
      return keys;
    }

    boolean mightContain(long h) {
      for (Part p : parts) {
        if (p.mightContain(h)) {
          return true;
        }
      }
      return false;
    }

    void add(long h) {
      if (addsBeforeLook == 0) {
        lookAtRoom();
      }
      addsBeforeLook--;
      parts[parts.length - 1].add(h);
      keys++;
    }

    /** Adds a part when the newest one is full, then allows the adds up to the next look (at least one). */
    private void lookAtRoom() {
      Part last = parts[parts.length - 1];
      if (last.keys >= last.capacity) {
        Part[] more = java.util.Arrays.copyOf(parts, parts.length + 1);
        last = new Part((int) Math.min(Integer.MAX_VALUE / 2, (long) last.capacity * GROWTH));
        more[parts.length] = last;
        parts = more;
      }
      addsBeforeLook = Math.min(ADDS_PER_LOOK, last.capacity - last.keys);
    }
  }

  private static final class Part {
    /** 512-bit blocks of eight words; a power of two of them. */
    private final long[] words;
    private final int blockMask;
    private final int capacity;
    private int keys;

    Part(int capacity) {
      long blocks = Long.highestOneBit(Math.max(1, ((long) capacity * BITS_PER_KEY + 511) / 512));
      if (blocks * 512 < (long) capacity * BITS_PER_KEY) {
        blocks <<= 1;
      }
      blocks = Math.min(blocks, 1 << 26); // 4 GiB of bits at most: a part past it just fills up
      this.words = new long[(int) blocks * 8];
      this.blockMask = (int) blocks - 1;
      this.capacity = capacity;
    }

    boolean mightContain(long h) {
      int base = ((int) (h >>> 32) & blockMask) << 3;
      long bits = positions(h);
      for (int i = 0; i < HASHES; i++, bits >>>= 9) {
        int bit = (int) bits & 511;
        if ((words[base + (bit >>> 6)] & (1L << bit)) == 0) {
          return false;
        }
      }
      return true;
    }

    void add(long h) {
      int base = ((int) (h >>> 32) & blockMask) << 3;
      long bits = positions(h);
      for (int i = 0; i < HASHES; i++, bits >>>= 9) {
        int bit = (int) bits & 511;
        words[base + (bit >>> 6)] |= 1L << bit;
      }
      keys++;
    }

    /** Nine bits per bit position, remixed from the whole hash so that they do not repeat the block's bits. */
    private static long positions(long h) {
      long b = h * 0x9E3779B97F4A7C15L;
      return b ^ (b >>> 29);
    }
  }
}
