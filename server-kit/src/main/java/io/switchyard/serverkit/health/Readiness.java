package io.switchyard.serverkit.health;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Readiness of the process: ready only when every registered component says it is. Components start
 * not ready ("starting"). A component's flips can be followed ({@link Component#onChange}), e.g. by the
 * gRPC health service of the server that component stands for, without polling.
 *
 * <p>{@link #drain} turns every component not ready for good, whatever it says after: the first step of a
 * shutdown, so that Kubernetes and Envoy stop sending before the servers stop taking calls.
 */
public final class Readiness {
  private static final Logger log = LoggerFactory.getLogger(Readiness.class);

  private final Map<String, Component> components = new ConcurrentHashMap<>();
  private volatile boolean draining;
  private volatile boolean starting;

  public Component register(String name) {
    Component c = new Component(name, this);
    if (components.putIfAbsent(name, c) != null) {
      throw new IllegalArgumentException("component already registered: " + name);
    }
    return c;
  }

  public boolean isReady() {
    return !starting && components.values().stream().allMatch(Component::isReady);
  }

  /**
   * Not ready from now on until {@link #started}, whatever the components registered so far say: a process that is
   * still starting has not registered the others yet, and with none registered every component would be ready.
   */
  public void starting() {
    starting = true;
  }

  /** Every component is registered: readiness is theirs again. */
  public void started() {
    starting = false;
  }

  public boolean isStarting() {
    return starting;
  }

  /**
   * From now on every component, registered or not yet, is not ready ("draining"), and the listeners of each
   * one that was ready hear it; the process is shutting down. Draining again does nothing.
   */
  public void drain() {
    synchronized (this) {
      if (draining) {
        return;
      }
      draining = true;
    }
    // Only a component that was ready changes: the others' listeners already see not ready.
    components.values().stream().filter(c -> c.ready).forEach(Component::announce);
  }

  public boolean isDraining() {
    return draining;
  }

  /** Component name to "ready" or the reason it is not ("draining" once drained), sorted by name. */
  public Map<String, String> snapshot() {
    Map<String, String> out = new LinkedHashMap<>();
    components.keySet().stream().sorted().forEach(n -> {
      Component c = components.get(n);
      out.put(n, c.isReady() ? "ready" : c.ready && draining ? "draining" : c.reason);
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
    private final Readiness owner;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private volatile boolean ready;
    private volatile String reason = "starting";

    private Component(String name, Readiness owner) {
      this.name = Objects.requireNonNull(name);
      this.owner = owner;
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

    /** "ready", or why the component last said it is not. */
    public String reason() {
      return reason;
    }

    /**
     * Runs {@code r} once, the first time the component is ready from this call on: at once if it is now, else on the
     * thread that flips it (so {@code r} must neither block nor change readiness). For a start line that says
     * "waiting" and then, once, "ready".
     */
    public void onceReady(Runnable r) {
      AtomicBoolean done = new AtomicBoolean();
      Runnable once = () -> {
        if (isReady() && done.compareAndSet(false, true)) {
          r.run();
        }
      };
      onChange(once);
      once.run();
    }

    /** What the component last said, unless the process is draining. */
    public boolean isReady() {
      return ready && !owner.draining;
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
