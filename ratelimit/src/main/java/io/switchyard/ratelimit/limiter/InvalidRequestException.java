package io.switchyard.ratelimit.limiter;

/** A request the service refuses; the message names the offending field. Maps to INVALID_ARGUMENT. */
public final class InvalidRequestException extends Exception {
  private static final long serialVersionUID = 1L;

  public InvalidRequestException(String message) {
    super(message, null, false, false);
  }
}
