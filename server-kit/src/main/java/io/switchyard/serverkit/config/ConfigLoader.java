package io.switchyard.serverkit.config;

import java.nio.file.Path;

/** Loads and validates a whole config (a file or a folder) into an immutable value. */
@FunctionalInterface
public interface ConfigLoader<T> {
  T load(Path path) throws ConfigException;
}
