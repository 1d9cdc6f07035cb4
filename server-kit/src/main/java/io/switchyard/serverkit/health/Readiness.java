package io.switchyard.serverkit.health;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Readiness of the process: ready only when every registered component says it is. Components start
 * not ready ("starting"). A component's flips can be followed ({@link Component#onChange}), e.g. by the
 * gRPC health service of the server that component stands for, without polling.
 */
public final class Readiness {
  private static final Logger log = LoggerFactory.getLogger(Readiness.class);

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

  /** Ends a listener's subscription; closing again does nothing. */
  @FunctionalInterface
  public interface Subscription extends AutoCloseable {
    @Override
    void close();
  }

  public static final class Component {
    private final String name;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private volatile boolean ready;
    private volatile String reason = "starting";

    private Component(String name) {
      this.name = Objects.requireNonNull(name);
    }

    public String name() {
      return name;
    }

    public void ready() {
      if (flip(true, "ready")) {
        announce();
      }
    }

    public void notReady(String reason) {
      if (flip(false, Objects.requireNonNull(reason))) {
        announce();
      }
    }

    public boolean isReady() {
      return ready;
    }

    /**
     * Calls {@code listener} after each flip of this component, on the thread that flipped it (so it must
     * neither block nor change readiness itself). A listener reads {@link #isReady} rather than being told
     * the state, so that of two flips racing, the last call sees the last state. Not called for the state
     * at subscription: read {@link #isReady} after subscribing for that.
     */
    public Subscription onChange(Runnable listener) {
      Objects.requireNonNull(listener, "listener");
      listeners.add(listener);
      return () -> listeners.remove(listener);
    }

    /** Sets the state; true when it flipped. Periodic checks repeat ready(): only a flip reaches listeners. */
    private synchronized boolean flip(boolean to, String why) {
      boolean flipped = ready != to;
      // In this order a snapshot taken meanwhile never shows "ready" for a component that is not.
      if (to) {
        this.ready = true;
        this.reason = why;
      } else {
        this.reason = why;
        this.ready = false;
      }
      return flipped;
    }

    private void announce() {
      for (Runnable l : listeners) {
        try {
          l.run();
        } catch (RuntimeException e) {
          // The component's owner (a Kafka check, a config reload) must not fail because a listener did.
          log.error("readiness listener of {} failed", name, e);
        }
      }
    }
  }
}
