package io.switchyard.extauthz.log;

import io.switchyard.extauthz.decision.Decision;
import io.switchyard.extauthz.request.RequestAttributes;

/** What the Check path hands to the logger, which encodes it on the calling thread and queues the bytes. */
public record DecisionLogEntry(String decisionId, long timeUnixNanos, Decision decision, RequestAttributes request, boolean cacheHit,
    long latencyNanos, String errorReason) {}
