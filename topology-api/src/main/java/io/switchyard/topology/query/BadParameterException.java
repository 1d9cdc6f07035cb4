package io.switchyard.topology.query;

/** A request parameter that cannot be used; the HTTP layer answers 400 with this message. */
public final class BadParameterException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String parameter;

  public BadParameterException(String parameter, String reason) {
    super("parameter '" + parameter + "': " + reason);
    this.parameter = parameter;
  }

  public String parameter() {
    return parameter;
  }
}
