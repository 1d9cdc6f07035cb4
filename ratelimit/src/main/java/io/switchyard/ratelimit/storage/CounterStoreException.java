package io.switchyard.ratelimit.storage;

/** The store could not answer; {@code reason} is a short metric label (timeout, key_cap, io, ...). */
public final class CounterStoreException extends Exception {
  private static final long serialVersionUID = 1L;
  private final String reason;

  public CounterStoreException(String reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public CounterStoreException(String reason, String message) {
    this(reason, message, null);
  }

  public String reason() {
    return reason;
  }
}
