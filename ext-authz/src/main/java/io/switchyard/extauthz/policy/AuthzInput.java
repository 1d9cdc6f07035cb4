package io.switchyard.extauthz.policy;

import io.switchyard.extauthz.request.RequestAttributes;
import io.switchyard.extauthz.request.RequestIdentity;

/** What a policy is evaluated against: the request and its verified end-user identity. */
public record AuthzInput(RequestAttributes request, RequestIdentity identity) {}
