package io.switchyard.flinkjobs.graph;

import io.switchyard.flinkjobs.buffering.FlushingOperator;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Gathers the spans of one trace that one source subtask reads close together into one record, so
 * the keyed pairing operator reads and writes a trace's state once per batch instead of once per
 * span, and a client and server that arrive together pair without any timer. Ingest keys span
 * records by trace id, so all spans of a trace come through the same partition and source subtask.
 *
 * <p>Chained right behind the span source, it holds no state and changes no result: a batch keeps
 * its trace's arrival order and the pairing operator applies its spans one by one exactly as if
 * they had come singly. Everything buffered goes out before a watermark is forwarded (so the pairing
 * sees every span that preceded a watermark before it, as without this operator), before a
 * checkpoint barrier (exactly-once needs no state here), when the input turns idle, at end of
 * input, when the buffer reaches its bound, and on a short wall-clock timer so a quiet stream whose
 * watermark stands still does not hold spans back.
 */
public final class TraceBatcher extends FlushingOperator<TraceSpans, TraceSpans> {
  private static final long serialVersionUID = 1L;

  private final int maxTraces;
  private final long maxDelayMs;
  private final boolean unshuffled;
  /**
   * The batches by trace id bytes (open addressing, linear probing, at most half full), so a span
   * finds its trace's batch without the hex key being built or hashed: the key is made once per
   * batch, by the pairing.
   */
  private transient TraceSpans[] table;
  /** The batches in the order their traces first came: the order a flush emits them in. */
  private transient List<TraceSpans> buffer;
  /** The slot of each batch in {@link #buffer}, so a flush empties only those. */
  private transient int[] slots;
  private transient boolean timerSet;

  /**
   * {@code unshuffled}: the pairing behind this operator takes its batches as they are, without a
   * keyBy, which is exact only while the span path runs in one subtask; the operator then fails at
   * start rather than pair the spans of a trace in two subtasks.
   */
  public TraceBatcher(int maxTraces, long maxDelayMs, boolean unshuffled) {
    if (maxTraces < 1 || maxDelayMs < 1) {
      throw new IllegalArgumentException("buffer bound and delay must be positive: " + maxTraces + " traces, " + maxDelayMs + " ms");
    }
    this.maxTraces = maxTraces;
    this.maxDelayMs = maxDelayMs;
    this.unshuffled = unshuffled;
  }

  @Override
  public void open() throws Exception {
    super.open();
    int subtasks = getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks();
    if (unshuffled && subtasks != 1) {
      throw new IllegalStateException("the span path was built for one subtask (no keyed shuffle before the pairing) but runs in "
          + subtasks + ": pass the job --parallelism " + subtasks + " (a parallelism set only outside the job, or a scheduler"
          + " that rescales it, does not change how it is built)");
    }
    table = new TraceSpans[Integer.highestOneBit(maxTraces) * 4];
    buffer = new ArrayList<>();
    slots = new int[maxTraces];
  }

  @Override
  public void processElement(StreamRecord<TraceSpans> element) {
    TraceSpans in = element.getValue();
    if (element.hasTimestamp()) {
      in.timestamp = element.getTimestamp();
    }
    int mask = table.length - 1;
    int slot = in.traceSlot(mask);
    for (TraceSpans waiting = table[slot]; waiting != null; waiting = table[slot]) {
      if (waiting.sameTrace(in)) {
        waiting.append(in);
        return;
      }
      slot = (slot + 1) & mask;
    }
    if (buffer.size() >= maxTraces) {
      flush();
      slot = in.traceSlot(mask);
    }
    table[slot] = in;
    slots[buffer.size()] = slot;
    buffer.add(in);
    if (!timerSet) {
      timerSet = true;
      getProcessingTimeService().registerTimer(getProcessingTimeService().getCurrentProcessingTime() + maxDelayMs, t -> {
        timerSet = false;
        flush();
      });
    }
  }

  /**
   * The home slot of a trace id: every byte mixed into every bit. A polynomial hash such as
   * {@code Arrays.hashCode} gives sequential ids nearby and overlapping slots, and linear probing then
   * walks long runs of taken slots. A 16-byte id (W3C's, all that OpenTelemetry sends) is read as two
   * words and mixed by a MurmurHash3 finalizer; any other length byte by byte (FNV-1a, then the same
   * finalizer). The word read does not wait on a multiply per byte as FNV does: it was most of the
   * batcher's own time per span.
   */
  static int slot(byte[] trace, int mask) {
    return slot(trace, 0, trace.length, mask);
  }

  /** {@link #slot(byte[], int)} of the id at bytes {@code [from, from + length)}. */
  static int slot(byte[] b, int from, int length, int mask) {
    long h;
    if (length == 16) {
      h = word(b, from) * 0x9e3779b97f4a7c15L + word(b, from + 8);
    } else {
      h = 0xcbf29ce484222325L;
      for (int i = from; i < from + length; i++) {
        h = (h ^ (b[i] & 0xff)) * 0x100000001b3L;
      }
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return (int) h & mask;
  }

  /** Eight bytes from {@code p}, little-endian. */
  private static long word(byte[] b, int p) {
    return (b[p] & 0xffL) | (b[p + 1] & 0xffL) << 8 | (b[p + 2] & 0xffL) << 16 | (b[p + 3] & 0xffL) << 24
        | (b[p + 4] & 0xffL) << 32 | (b[p + 5] & 0xffL) << 40 | (b[p + 6] & 0xffL) << 48 | (b[p + 7] & 0xffL) << 56;
  }

  @Override
  protected void flush() {
    if (buffer.isEmpty()) {
      return;
    }
    int n = buffer.size();
    for (int i = 0; i < n; i++) {
      TraceSpans batch = buffer.get(i);
      output.collect(batch.timestamp == Long.MIN_VALUE ? new StreamRecord<>(batch) : new StreamRecord<>(batch, batch.timestamp));
    }
    // Only the slots taken, not the whole table (4 slots a trace): Arrays.fill's shared profile also
    // deoptimized the chain's compiled code at its first flushes.
    for (int i = 0; i < n; i++) {
      table[slots[i]] = null;
    }
    buffer.clear();
  }

  /** Traces waiting in this subtask (for tests). */
  int buffered() {
    return buffer.size();
  }
}
