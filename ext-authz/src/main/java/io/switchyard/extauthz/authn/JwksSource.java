package io.switchyard.extauthz.authn;

import com.nimbusds.jose.jwk.JWKSet;
import java.util.concurrent.CompletableFuture;

/** Where a jwtRule's verification keys come from. */
interface JwksSource {
  /** The current keys; completes exceptionally only when no keys were ever obtained. */
  CompletableFuture<JWKSet> keys();

  /**
   * Called when a token's {@code kid} is not in {@link #keys()}: refetches unless that was done too
   * recently, then returns whatever keys are current.
   */
  CompletableFuture<JWKSet> refreshForUnknownKey();

  static JwksSource fixed(JWKSet set) {
    CompletableFuture<JWKSet> done = CompletableFuture.completedFuture(set);
    return new JwksSource() {
      @Override
      public CompletableFuture<JWKSet> keys() {
        return done;
      }

      @Override
      public CompletableFuture<JWKSet> refreshForUnknownKey() {
        return done;
      }
    };
  }
}
