package io.roberta.e2e.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
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
import java.util.function.Predicate;

/**
 * A Flink 1.19 session cluster as separate JVMs on localhost, started from the jars of this test's
 * own class path (the jars Maven brings with Beam's Flink runner, plus the project's): one
 * JobManager ({@code StandaloneSessionClusterEntrypoint}) and any number of TaskManagers
 * ({@code TaskManagerRunner}), each with its log under the cluster folder.
 *
 * <p>The project's jars are on every TaskManager's own class path and class loading is
 * parent-first, so the native libraries (DJL, ND4J) load once per TaskManager JVM, whatever the
 * number of jobs and restarts. Beam is told to stage no jars ({@code --filesToStage} of one empty
 * jar), so a submission uploads kilobytes, not the 300 jars of the class path.
 *
 * <pre>{@code
 * try (LocalFlinkCluster cluster = LocalFlinkCluster.start(dir, 2, 2, Map.of())) {
 *   options.setFlinkMaster(cluster.master());
 * }
 * }</pre>
 */
public final class LocalFlinkCluster implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The JVM flags Flink 1.19's own start scripts pass on Java 17 ({@code env.java.opts.all}). */
  static final List<String> JAVA17_FLAGS = List.of(
      "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
      "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
      "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
      "--add-opens=java.base/java.lang=ALL-UNNAMED",
      "--add-opens=java.base/java.net=ALL-UNNAMED",
      "--add-opens=java.base/java.io=ALL-UNNAMED",
      "--add-opens=java.base/java.nio=ALL-UNNAMED",
      "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
      "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
      "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
      "--add-opens=java.base/java.text=ALL-UNNAMED",
      "--add-opens=java.base/java.time=ALL-UNNAMED",
      "--add-opens=java.base/java.util=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");

  /**
   * A TaskManager's memory, every part spelled out: without Flink's start scripts nobody derives
   * them from a total. Heap = framework + task heap; direct memory = framework + task off-heap + network.
   */
  static final Map<String, String> TASK_MANAGER_MEMORY = Map.of(
      "taskmanager.memory.framework.heap.size", "128m",
      "taskmanager.memory.task.heap.size", "640m",
      "taskmanager.memory.framework.off-heap.size", "128m",
      "taskmanager.memory.task.off-heap.size", "128m",
      "taskmanager.memory.managed.size", "64m",
      // A corpus job has ~20 vertices; all of its subtasks on one TaskManager need ~520 buffers of 32 KiB.
      "taskmanager.memory.network.min", "256m",
      "taskmanager.memory.network.max", "256m",
      "taskmanager.memory.jvm-metaspace.size", "256m",
      "taskmanager.memory.jvm-overhead.min", "192m",
      "taskmanager.memory.jvm-overhead.max", "192m");

  private static final List<String> TASK_MANAGER_JVM = List.of(
      "-Xmx768m", "-Xms768m", "-XX:MaxDirectMemorySize=512m", "-XX:MaxMetaspaceSize=256m",
      "-Dorg.bytedeco.javacpp.maxbytes=1G", "-Dorg.bytedeco.javacpp.maxphysicalbytes=3G");

  private final Path dir;
  private final Path confDir;
  private final int restPort;
  private final String classPath;
  /** Added to every process's JVM flags (e.g. a system property the jobs' code reads). */
  private final List<String> extraJvmFlags;
  private final List<Process> all = new ArrayList<>();
  private final Map<String, Process> taskManagers = new LinkedHashMap<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final Thread shutdownHook;
  private final long startedNanos = System.nanoTime();

  private LocalFlinkCluster(Path dir, Path confDir, int restPort, String classPath, List<String> extraJvmFlags) {
    this.dir = dir;
    this.extraJvmFlags = List.copyOf(extraJvmFlags);
    this.confDir = confDir;
    this.restPort = restPort;
    this.classPath = classPath;
    // A test JVM that dies (or is stopped) must not leave Flink processes behind.
    this.shutdownHook = new Thread(this::stopProcesses, "flink-cluster-cleanup");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * Writes {@code flink-conf.yaml} into {@code dir/conf} (free ports, the TaskManager's resources,
   * parent-first class loading, plus {@code extraConf}) and starts a JobManager and
   * {@code taskManagers} TaskManagers of {@code slots} slots each; returns once all have registered.
   */
  public static LocalFlinkCluster start(Path dir, int taskManagers, int slots, Map<String, String> extraConf)
      throws IOException, InterruptedException {
    return start(dir, taskManagers, slots, extraConf, List.of());
  }

  /** As {@link #start(Path, int, int, Map)}, every JVM (JobManager and TaskManagers) also getting {@code extraJvmFlags}. */
  public static LocalFlinkCluster start(Path dir, int taskManagers, int slots, Map<String, String> extraConf,
      List<String> extraJvmFlags) throws IOException, InterruptedException {
    for (int attempt = 1; ; attempt++) {
      try {
        return startOnce(dir, taskManagers, slots, extraConf, extraJvmFlags);
      } catch (IllegalStateException e) {
        // The JobManager's RPC and REST ports are probed free here and bound later by another JVM;
        // another process can take one in between. Start again on new ports, keeping the logs.
        if (!jobManagerCouldNotBind(dir) || attempt == MAX_START_ATTEMPTS) {
          throw e;
        }
        Path kept = Files.createDirectories(dir.resolve("failed-start-" + attempt));
        try (var logs = Files.list(dir)) {
          for (Path log : logs.filter(f -> f.toString().endsWith(".log")).toList()) {
            Files.move(log, kept.resolve(log.getFileName()));
          }
        }
        System.err.println("LocalFlinkCluster: a port probed free was taken before the JobManager bound it (logs in "
            + kept + "); starting again on new ports, attempt " + (attempt + 1) + " of " + MAX_START_ATTEMPTS);
      }
    }
  }

  private static final int MAX_START_ATTEMPTS = 3;

  /** Whether the JobManager's whole log (a failure message shows only its tail) says a port was taken. */
  static boolean jobManagerCouldNotBind(Path dir) {
    try {
      String log = Files.readString(dir.resolve("jobmanager.log"), StandardCharsets.UTF_8);
      return log.contains("BindException") || log.contains("Address already in use");
    } catch (IOException e) {
      return false;
    }
  }

  private static LocalFlinkCluster startOnce(Path dir, int taskManagers, int slots, Map<String, String> extraConf,
      List<String> extraJvmFlags) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path conf = Files.createDirectories(dir.resolve("conf"));
    int rpcPort = freePort();
    int restPort = freePort();
    Map<String, String> c = new LinkedHashMap<>();
    c.put("jobmanager.rpc.address", "localhost");
    c.put("jobmanager.rpc.port", Integer.toString(rpcPort));
    c.put("jobmanager.bind-host", "localhost");
    c.put("jobmanager.memory.process.size", "1024m");
    c.put("rest.address", "localhost");
    c.put("rest.bind-address", "localhost");
    c.put("rest.port", Integer.toString(restPort));
    // the BLOB server takes an ephemeral port itself (Flink's default; TaskManagers learn it over RPC):
    // a port found free here and bound later by the JobManager was once taken in between
    c.put("blob.server.port", "0");
    c.put("taskmanager.host", "localhost");
    c.put("taskmanager.bind-host", "localhost");
    c.put("taskmanager.rpc.port", "0");
    c.put("taskmanager.data.port", "0");
    c.put("taskmanager.numberOfTaskSlots", Integer.toString(slots));
    c.put("taskmanager.cpu.cores", Integer.toString(slots));
    c.putAll(TASK_MANAGER_MEMORY);
    // Spread a job's tasks over all TaskManagers, so that losing one really hits the job.
    c.put("cluster.evenly-spread-out-slots", "true");
    // The project's jars are on the TaskManagers' class path: load them there, once per JVM.
    c.put("classloader.resolve-order", "parent-first");
    c.put("classloader.check-leaked-classloader", "false");
    // A killed TaskManager is noticed in seconds, not the default 50.
    c.put("heartbeat.interval", "1000");
    c.put("heartbeat.timeout", "6000");
    c.put("io.tmp.dirs", Files.createDirectories(dir.resolve("tmp")).toString());
    c.put("web.tmpdir", dir.resolve("tmp").toString());
    c.put("blob.storage.directory", dir.resolve("tmp").toString());
    c.putAll(extraConf);
    StringBuilder yaml = new StringBuilder("# written by LocalFlinkCluster\n");
    c.forEach((k, v) -> yaml.append(k).append(": ").append(v).append('\n'));
    Files.writeString(conf.resolve("flink-conf.yaml"), yaml.toString());

    LocalFlinkCluster cluster = new LocalFlinkCluster(dir, conf, restPort, testClassPath(), extraJvmFlags);
    boolean ok = false;
    try {
      cluster.launch("jobmanager", "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint",
          List.of("-Xmx512m", "-Xms256m"));
      for (int i = 1; i <= taskManagers; i++) {
        cluster.startTaskManager();
      }
      cluster.awaitTaskManagers(taskManagers, Duration.ofSeconds(90));
      ok = true;
      return cluster;
    } finally {
      if (!ok) {
        System.err.println(cluster.logs());
        cluster.close();
      }
    }
  }

  /** {@code localhost:<rest port>}, the value of Beam's {@code --flinkMaster}. */
  public String master() {
    return "localhost:" + restPort;
  }

  public Path directory() {
    return dir;
  }

  /** Seconds since this cluster's first process was started. */
  public double secondsSinceStart() {
    return (System.nanoTime() - startedNanos) / 1e9;
  }

  /** Starts one more TaskManager; returns its name ({@code taskmanager-N}), also its log's name. */
  public String startTaskManager() throws IOException {
    String name = "taskmanager-" + (taskManagers.size() + 1);
    taskManagers.put(name, launch(name, "org.apache.flink.runtime.taskexecutor.TaskManagerRunner", TASK_MANAGER_JVM));
    return name;
  }

  /** Kills a TaskManager the hard way (SIGKILL: no goodbye to the JobManager) and waits for it. */
  public void killTaskManager(String name) throws InterruptedException {
    Process p = taskManagers.get(name);
    if (p == null) {
      throw new IllegalArgumentException("no TaskManager " + name + "; have " + taskManagers.keySet());
    }
    p.destroyForcibly();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException(name + " (pid " + p.pid() + ") did not die");
    }
  }

  /** The TaskManager running as process {@code pid}, or null. */
  public String taskManagerWithPid(long pid) {
    for (Map.Entry<String, Process> e : taskManagers.entrySet()) {
      if (e.getValue().pid() == pid) {
        return e.getKey();
      }
    }
    return null;
  }

  public boolean isAlive(String name) {
    return taskManagers.get(name).isAlive();
  }

  /** A JSON document from the JobManager's REST API, e.g. {@code /jobs/overview}; null when unreachable. */
  public JsonNode rest(String path) {
    try {
      HttpResponse<String> r = http.send(
          HttpRequest.newBuilder(URI.create("http://localhost:" + restPort + path)).timeout(Duration.ofSeconds(5)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** Waits until {@code n} TaskManagers have registered with the JobManager. */
  public void awaitTaskManagers(int n, Duration timeout) throws InterruptedException {
    await("TaskManagers registered: " + n, timeout, () -> {
      JsonNode tms = rest("/taskmanagers");
      return tms != null && tms.path("taskmanagers").size() == n;
    });
  }

  /** Polls {@code condition} every 200 ms until it holds; fails with the logs after {@code timeout}. */
  public void await(String what, Duration timeout, java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      for (Process p : all) {
        if (!p.isAlive() && !taskManagers.containsValue(p)) {
          throw new IllegalStateException("the JobManager exited (status " + p.exitValue() + ") while waiting for " + what + "\n" + logs());
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s waiting for " + what + "\n" + logs());
      }
      TimeUnit.MILLISECONDS.sleep(200);
    }
  }

  /** The first job in {@code /jobs/overview} that matches, or null. */
  public JsonNode job(Predicate<JsonNode> which) {
    JsonNode overview = rest("/jobs/overview");
    if (overview == null) {
      return null;
    }
    for (JsonNode j : overview.path("jobs")) {
      if (which.test(j)) {
        return j;
      }
    }
    return null;
  }

  /** The last lines of every process's log, for a failure message. */
  public String logs() {
    StringBuilder s = new StringBuilder();
    try (var files = Files.list(dir)) {
      for (Path log : files.filter(f -> f.toString().endsWith(".log")).sorted().toList()) {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        s.append("==== ").append(log).append(" (last 40 of ").append(lines.size()).append(" lines)\n");
        lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(l -> s.append(l).append('\n'));
      }
    } catch (IOException e) {
      s.append("(cannot read the logs in ").append(dir).append(": ").append(e).append(")\n");
    }
    return s.toString();
  }

  @Override
  public void close() {
    stopProcesses();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // the JVM is already shutting down: the hook runs anyway
    }
  }

  private synchronized void stopProcesses() {
    // TaskManagers first, so that none of them reconnects to a dying JobManager and logs noise.
    List<Process> order = new ArrayList<>(all);
    java.util.Collections.reverse(order);
    for (Process p : order) {
      p.destroyForcibly();
    }
    for (Process p : order) {
      try {
        p.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private synchronized Process launch(String name, String mainClass, List<String> jvmFlags) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmFlags);
    command.addAll(JAVA17_FLAGS);
    command.add("-XX:+UseSerialGC"); // two cores shared by four JVMs: no parallel GC threads
    command.addAll(extraJvmFlags);
    command.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
    command.add("-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS");
    // The cluster's own INFO lines, for failure messages (the command line's quiet defaults would hide them).
    command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=info");
    command.add("-Dorg.slf4j.simpleLogger.log.org.apache.flink=info");
    command.add("-Dorg.slf4j.simpleLogger.log.org.apache.flink.runtime.checkpoint=warn");
    command.add("-cp");
    command.add(classPath);
    command.add(mainClass);
    command.add("--configDir");
    command.add(confDir.toString());
    Path log = dir.resolve(name + ".log");
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
    pb.environment().put("FLINK_CONF_DIR", confDir.toString());
    Process p = pb.start();
    all.add(p);
    return p;
  }

  /** The class path this test runs with (surefire puts the real one in {@code java.class.path}). */
  static String testClassPath() {
    String cp = System.getProperty("java.class.path");
    if (cp.split(java.io.File.pathSeparator).length < 10) {
      throw new IllegalStateException("java.class.path holds only " + cp + "; run with surefire's default class path");
    }
    return cp;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    }
  }

  /** An empty jar for Beam's {@code --filesToStage}: the TaskManagers already have every class. */
  public Path emptyJar() {
    Path jar = dir.resolve("nothing-to-stage.jar");
    if (!Files.exists(jar)) {
      try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar))) {
        out.putNextEntry(new java.util.jar.JarEntry("META-INF/"));
        out.closeEntry();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return jar;
  }
}
