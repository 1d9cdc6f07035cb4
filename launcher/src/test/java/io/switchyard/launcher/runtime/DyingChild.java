package io.switchyard.launcher.runtime;

/** A child process for supervisor tests: says hello and dies with exit code 3. */
public final class DyingChild {
  private DyingChild() {}

  public static void main(String[] args) {
    System.out.println("hello from child");
    System.exit(3);
  }
}
