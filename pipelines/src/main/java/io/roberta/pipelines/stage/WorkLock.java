package io.roberta.pipelines.stage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.apache.beam.sdk.io.fs.ResourceId;

/**
 * The lock a run holds on a recipe's work folder ({@code <workDir>/<recipe>/.lock}), so two runs
 * never write the same stages, checkpoints or metrics. The lock file names its owner (host,
 * process id, start time, a random token); a second run fails at once naming the lock and its
 * owner. A lock whose owner is a process on this host that no longer exists is stale and taken
 * over; a lock from another host is never broken automatically (delete the file once that run is
 * known to be gone).
 *
 * <p>Object stores have no exclusive create through Beam's {@code FileSystems}, so taking the
 * lock is write-then-read-back: the token read back must be ours. Two runs starting within the
 * same instant on an object store can in principle both pass; every other case is caught.
 *
 * <pre>{@code
 * try (WorkLock lock = WorkLock.acquire(workDir, recipe.name())) { ... run stages ... }
 * }</pre>
 */
public final class WorkLock implements AutoCloseable {
  public static final String FILE = ".lock";

  private final ResourceId file;
  private final String token;
  private boolean released;

  private WorkLock(ResourceId file, String token) {
    this.file = file;
    this.token = token;
  }

  /** Takes the lock of {@code <workDir>/<recipe>/}, or throws {@link LockedException} naming its owner. */
  public static WorkLock acquire(String workDir, String recipe) {
    ResourceId dir = Artifacts.dir(Artifacts.dir(workDir), recipe);
    ResourceId file = Artifacts.file(dir, FILE);
    Optional<JsonNode> held = Artifacts.readJsonIfPresent(file);
    if (held.isPresent() && !stale(held.get())) {
      throw new LockedException(file, held.get());
    }
    String token = UUID.randomUUID().toString();
    ObjectNode owner = StageManifest.object();
    owner.put("host", Host.name());
    owner.put("pid", ProcessHandle.current().pid());
    owner.put("started", Instant.now().toString());
    owner.put("command", ManagementFactory.getRuntimeMXBean().getName());
    owner.put("token", token);
    Artifacts.writeJson(dir, FILE, owner);
    JsonNode back = Artifacts.readJsonIfPresent(file).orElse(null);
    if (back == null || !token.equals(back.path("token").asText())) {
      throw new LockedException(file, back == null ? owner : back);
    }
    return new WorkLock(file, token);
  }

  /** Whether a lock names a process of this host that has ended. */
  private static boolean stale(JsonNode owner) {
    if (!Host.name().equals(owner.path("host").asText())) {
      return false;
    }
    long pid = owner.path("pid").asLong(-1);
    return pid > 0 && pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true);
  }

  /** Deletes the lock if it is still ours. */
  @Override
  public void close() {
    if (released) {
      return;
    }
    released = true;
    Optional<JsonNode> now = Artifacts.readJsonIfPresent(file);
    if (now.isPresent() && token.equals(now.get().path("token").asText())) {
      Artifacts.delete(List.of(file));
    }
  }

  /** Another run holds the work folder. */
  public static final class LockedException extends IllegalStateException {
    LockedException(ResourceId file, JsonNode owner) {
      super("the work folder is locked by another run: " + file + " names " + owner.path("host").asText() + " pid "
          + owner.path("pid").asText() + " started " + owner.path("started").asText() + ". Wait for that run to end, use"
          + " another --work-dir, or delete " + file + " if that run is gone");
    }
  }
}
