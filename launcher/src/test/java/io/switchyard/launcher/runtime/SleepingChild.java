package io.switchyard.launcher.runtime;

/** A child process for supervisor tests: announces itself and then runs until it is stopped. */
public final class SleepingChild {
  private SleepingChild() {}

  public static void main(String[] args) throws InterruptedException {
    System.out.println("switchyard-ready");
    Thread.sleep(Long.MAX_VALUE);
  }
}
