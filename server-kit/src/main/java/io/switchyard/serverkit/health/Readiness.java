package io.switchyard.serverkit.health;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Readiness of the process: ready only when every registered component says it is. Components start
 * not ready ("starting").
 */
public final class Readiness {
  private final Map<String, Component> components = new ConcurrentHashMap<>();

  public Component register(String name) {
    Component c = new Component(name);
    if (components.putIfAbsent(name, c) != null) {
      throw new IllegalArgumentException("component already registered: " + name);
    }
    return c;
  }

  public boolean isReady() {
    return components.values().stream().allMatch(Component::isReady);
  }

  /** Component name to "ready" or the reason it is not, sorted by name. */
  public Map<String, String> snapshot() {
    Map<String, String> out = new LinkedHashMap<>();
    components.keySet().stream().sorted().forEach(n -> {
      Component c = components.get(n);
      out.put(n, c.isReady() ? "ready" : c.reason);
    });
    return out;
  }

  public static final class Component {
    private final String name;
    private volatile boolean ready;
    private volatile String reason = "starting";

    private Component(String name) {
      this.name = Objects.requireNonNull(name);
    }

    public String name() {
      return name;
    }

    public void ready() {
      this.ready = true;
      this.reason = "ready";
    }

    public void notReady(String reason) {
      this.reason = Objects.requireNonNull(reason);
      this.ready = false;
    }

    public boolean isReady() {
      return ready;
    }
  }
}
