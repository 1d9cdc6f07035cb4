package io.switchyard.extauthz.authn;

/** No verification keys could be obtained for a rule; the token cannot be checked (401, not cached). */
final class JwksUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  JwksUnavailableException(String message) {
    super(message, null, false, false);
  }
}
