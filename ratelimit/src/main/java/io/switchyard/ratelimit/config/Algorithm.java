package io.switchyard.ratelimit.config;

import java.util.Locale;

/** How a limit counts; {@code fixed_window} is the reference's behaviour and the default. */
public enum Algorithm {
  /** Counter per epoch-aligned window of one unit; up to 2x the limit can pass around a boundary. */
  FIXED_WINDOW,
  /** Weighted blend of the previous and current fixed windows; no boundary burst. */
  SLIDING_WINDOW,
  /** Bucket of {@code requests_per_unit} tokens refilled evenly over one unit (GCRA); rejected hits cost nothing. */
  TOKEN_BUCKET;

  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  static Algorithm parse(String name) {
    for (Algorithm a : values()) {
      if (a.configName().equals(name)) {
        return a;
      }
    }
    return null;
  }
}
