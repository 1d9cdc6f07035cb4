package io.switchyard.extauthz.grpc;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Decision ids: a random prefix drawn once per process and a counter, {@code <16 hex>-<16 hex>}. Unique
 * within the process by construction and across processes with the prefix's 64 random bits; they
 * correlate logs and responses and need no secrecy, so one secure draw per process is enough.
 */
final class DecisionIds {
  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  private final byte[] prefix;
  private final AtomicLong counter = new AtomicLong();

  DecisionIds() {
    this(new SecureRandom().nextLong());
  }

  DecisionIds(long prefix) {
    this.prefix = new byte[17];
    hex(prefix, this.prefix, 0);
    this.prefix[16] = '-';
  }

  String next() {
    byte[] id = new byte[33];
    System.arraycopy(prefix, 0, id, 0, 17);
    hex(counter.incrementAndGet(), id, 17);
    return new String(id, StandardCharsets.ISO_8859_1);
  }

  private static void hex(long v, byte[] out, int at) {
    for (int i = 15; i >= 0; i--) {
      out[at + i] = HEX[(int) (v & 0xf)];
      v >>>= 4;
    }
  }
}
