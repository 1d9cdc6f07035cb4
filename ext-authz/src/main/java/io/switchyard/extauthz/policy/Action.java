package io.switchyard.extauthz.policy;

/** AuthorizationPolicy actions Switchyard enforces; CUSTOM is refused at load (this server is the provider). */
public enum Action { ALLOW, DENY, AUDIT }
