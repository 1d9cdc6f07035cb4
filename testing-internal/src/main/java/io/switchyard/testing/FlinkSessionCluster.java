package io.switchyard.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A standalone Flink session cluster made of Flink's own processes: the JobManager
 * ({@code StandaloneSessionClusterEntrypoint}) and one TaskManager ({@code TaskManagerRunner}), each in
 * its own JVM, started the way Flink's {@code jobmanager.sh} and {@code taskmanager.sh} start them
 * (memory flags and dynamic properties from Flink's {@code BashJavaUtils}, a generated config folder,
 * log files). {@link #cli} runs Flink's command line ({@code CliFrontend}, which is {@code flink}) in
 * a third JVM against it. The only difference from the binary distribution is where the jars come
 * from: {@code classpath} is the distribution's {@code lib/}, resolved through Maven.
 *
 * <p>The caller's classpath decides what the cluster holds; user code arrives only in the jar given
 * to {@code flink run}, so it is loaded by the cluster's child-first user-code class loader.
 */
public final class FlinkSessionCluster implements AutoCloseable {
  /** The JDK module opens Flink's distribution puts in {@code env.java.opts.all} for Java 17. */
  private static final List<String> OPENS = List.of(
      "java.base/java.lang", "java.base/java.lang.reflect", "java.base/java.io", "java.base/java.net", "java.base/java.nio",
      "java.base/sun.nio.ch", "java.base/java.text", "java.base/java.time", "java.base/java.util",
      "java.base/java.util.concurrent", "java.base/java.util.concurrent.atomic", "java.base/java.util.concurrent.locks");
  private static final String RESULT = "BASH_JAVA_UTILS_EXEC_RESULT:";
  private static final Pattern JOB_ID = Pattern.compile("JobID ([0-9a-f]{32})");

  private final String classpath;
  private final Path home;
  private final Path conf;
  private final int restPort;
  private final HttpClient http = HttpClient.newHttpClient();
  private final List<Process> processes = new ArrayList<>();

  private FlinkSessionCluster(String classpath, Path home, int restPort) {
    this.classpath = classpath;
    this.home = home;
    this.conf = home.resolve("conf");
    this.restPort = restPort;
  }

  /**
   * Writes {@code home/conf}, starts the JobManager and a TaskManager with {@code slots} slots, and
   * returns once the TaskManager has registered its slots (or throws after {@code timeout}).
   * {@code config} entries are added to (and override) the generated {@code config.yaml}.
   */
  public static FlinkSessionCluster start(String classpath, Path home, int slots, Map<String, String> config, Duration timeout)
      throws IOException, InterruptedException {
    FlinkSessionCluster cluster = new FlinkSessionCluster(classpath, home, FreePorts.next());
    try {
      cluster.writeConfig(slots, config);
      // Both daemons' memory flags are worked out at once: each is a JVM start.
      Process jmResources = cluster.bashJavaUtils("GET_JM_RESOURCE_PARAMS");
      Process tmResources = cluster.bashJavaUtils("GET_TM_RESOURCE_PARAMS");
      cluster.launch("jobmanager", results(jmResources, "GET_JM_RESOURCE_PARAMS"),
          "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint", List.of("--executionMode", "cluster"));
      cluster.launch("taskmanager", results(tmResources, "GET_TM_RESOURCE_PARAMS"),
          "org.apache.flink.runtime.taskexecutor.TaskManagerRunner", List.of());
      cluster.awaitSlots(slots, timeout);
      return cluster;
    } catch (IOException | InterruptedException | RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  private void writeConfig(int slots, Map<String, String> extra) throws IOException {
    Files.createDirectories(conf);
    Files.createDirectories(home.resolve("log"));
    Files.createDirectories(home.resolve("tmp"));
    Map<String, String> c = new LinkedHashMap<>();
    c.put("jobmanager.rpc.address", "127.0.0.1");
    c.put("jobmanager.rpc.port", Integer.toString(FreePorts.next()));
    c.put("jobmanager.bind-host", "127.0.0.1");
    c.put("jobmanager.memory.process.size", "768m");
    c.put("taskmanager.host", "127.0.0.1");
    c.put("taskmanager.bind-host", "127.0.0.1");
    c.put("taskmanager.memory.process.size", "1536m");
    c.put("taskmanager.numberOfTaskSlots", Integer.toString(slots));
    c.put("rest.address", "127.0.0.1");
    c.put("rest.bind-address", "127.0.0.1");
    c.put("rest.port", Integer.toString(restPort));
    c.put("parallelism.default", "1");
    c.put("state.backend.type", "rocksdb");
    c.put("execution.checkpointing.dir", home.resolve("checkpoints").toUri().toString());
    c.put("execution.checkpointing.savepoint-dir", home.resolve("savepoints").toUri().toString());
    c.put("restart-strategy.type", "none");
    c.put("io.tmp.dirs", home.resolve("tmp").toString());
    c.putAll(extra);
    StringBuilder yaml = new StringBuilder();
    c.forEach((k, v) -> yaml.append(k).append(": ").append(quote(v)).append('\n'));
    Files.writeString(conf.resolve("config.yaml"), yaml);
    Files.writeString(conf.resolve("log4j.properties"), """
        rootLogger.level = INFO
        rootLogger.appenderRef.file.ref = file
        appender.file.name = file
        appender.file.type = File
        appender.file.fileName = ${sys:log.file}
        appender.file.layout.type = PatternLayout
        appender.file.layout.pattern = %d{HH:mm:ss,SSS} %-5p %c - %m%n
        logger.kafka.name = org.apache.kafka
        logger.kafka.level = WARN
        """);
    // The command line logs to its own file, as the distribution's log4j-cli.properties does.
    Files.writeString(conf.resolve("log4j-cli.properties"), Files.readString(conf.resolve("log4j.properties")));
  }

  private static String quote(String v) {
    return "'" + v.replace("'", "''") + "'";
  }

  /** Starts one daemon the way Flink's scripts do: with the memory flags and dynamic properties BashJavaUtils worked out. */
  private void launch(String name, List<String> resources, String mainClass, List<String> args) throws IOException {
    List<String> cmd = new ArrayList<>(java());
    cmd.addAll(split(resources.get(0)));
    cmd.addAll(List.of("-Dlog.file=" + log(name), "-Dlog4j.configurationFile=file:" + conf.resolve("log4j.properties"),
        "-cp", classpath, mainClass, "--configDir", conf.toString()));
    cmd.addAll(args);
    cmd.addAll(split(resources.get(1)));
    Process p = new ProcessBuilder(cmd).directory(home.toFile()).redirectErrorStream(true)
        .redirectOutput(home.resolve("log").resolve(name + ".out").toFile()).start();
    processes.add(p);
  }

  /** Flink's own memory calculation of the start scripts: JVM flags on the first result line, dynamic properties on the second. */
  private Process bashJavaUtils(String command) throws IOException {
    List<String> cmd = new ArrayList<>(java());
    cmd.addAll(List.of("-XX:TieredStopAtLevel=1", "-cp", classpath, "org.apache.flink.runtime.util.bash.BashJavaUtils", command,
        "--configDir", conf.toString()));
    return new ProcessBuilder(cmd).redirectErrorStream(true).start();
  }

  private static List<String> results(Process p, String command) throws IOException, InterruptedException {
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException("Flink's BashJavaUtils " + command + " failed:\n" + out);
    }
    List<String> results = out.lines().filter(l -> l.startsWith(RESULT)).map(l -> l.substring(RESULT.length()).trim()).toList();
    if (results.size() < 2) {
      throw new IllegalStateException("Flink's BashJavaUtils " + command + " printed no JVM and dynamic parameters:\n" + out);
    }
    return results;
  }

  private static List<String> split(String line) {
    return line.isBlank() ? List.of() : List.of(line.trim().split("\\s+"));
  }

  private static List<String> java() {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    OPENS.forEach(o -> cmd.add("--add-opens=" + o + "=ALL-UNNAMED"));
    return cmd;
  }

  private void awaitSlots(int slots, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      for (Process p : processes) {
        if (!p.isAlive()) {
          throw new IllegalStateException("a Flink process exited with " + p.exitValue() + " while the cluster started; see " + home.resolve("log"));
        }
      }
      try {
        String overview = rest("/overview");
        if (overview.contains("\"slots-total\":" + slots)) {
          return;
        }
      } catch (IOException e) {
        // The REST endpoint is not up yet.
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the Flink cluster did not offer " + slots + " slots within " + timeout + "; see " + home.resolve("log"));
      }
      Thread.sleep(200); // polling a process that has no readiness push; not a timing assumption
    }
  }

  /** The body of a GET on the cluster's REST API, e.g. {@code /jobs/<id>}; an IOException for a non-200 answer. */
  public String rest(String path) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + restPort + path))
        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("GET " + path + " answered " + r.statusCode() + ": " + r.body());
    }
    return r.body();
  }

  /** Polls {@code /jobs/<id>} until the job is in a terminal state (or {@code timeout} passes) and returns that state. */
  public String awaitTerminal(String jobId, Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Pattern state = Pattern.compile("\"state\":\"([A-Z]+)\"");
    while (true) {
      Matcher m = state.matcher(rest("/jobs/" + jobId));
      String s = m.find() ? m.group(1) : "";
      if (List.of("FINISHED", "FAILED", "CANCELED").contains(s) || System.nanoTime() > deadline) {
        return s;
      }
      Thread.sleep(200); // polling a status with no push API; not a timing assumption
    }
  }

  /** What {@code flink <args>} printed and its exit code. */
  public record CliResult(int exitCode, String output) {
    /** The job id {@code flink run} printed; an exception naming the output if there is none. */
    public String jobId() {
      Matcher m = JOB_ID.matcher(output);
      if (!m.find()) {
        throw new IllegalStateException("flink printed no job id (exit " + exitCode + "):\n" + output);
      }
      return m.group(1);
    }
  }

  /** Runs Flink's command line, {@code flink <args>}, against this cluster in a new JVM. */
  public CliResult cli(Duration timeout, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(java());
    cmd.addAll(List.of("-XX:TieredStopAtLevel=1", "-Dlog.file=" + log("cli"), "-Dlog4j.configurationFile=file:" + conf.resolve("log4j-cli.properties"),
        "-cp", classpath, "org.apache.flink.client.cli.CliFrontend"));
    cmd.addAll(List.of(args));
    ProcessBuilder b = new ProcessBuilder(cmd).directory(home.toFile()).redirectErrorStream(true);
    b.environment().put("FLINK_CONF_DIR", conf.toString());
    Process p = b.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("flink " + String.join(" ", args) + " did not end within " + timeout + ":\n" + out);
    }
    return new CliResult(p.exitValue(), out);
  }

  public Path log(String process) {
    return home.resolve("log").resolve(process + ".log");
  }

  public int restPort() {
    return restPort;
  }

  @Override
  public void close() {
    for (int i = processes.size() - 1; i >= 0; i--) {
      Process p = processes.get(i);
      p.destroy();
      try {
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    processes.clear();
  }

  /** For messages: the cluster's folder, with conf/ and log/. */
  public Path home() {
    return home;
  }
}
