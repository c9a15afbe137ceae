package io.roberta.pipelines.pretrain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.roberta.engine.train.CheckpointStore;
import io.roberta.engine.train.StepMetrics;
import io.roberta.pipelines.stage.Artifacts;
import io.roberta.pipelines.stage.FileEntry;
import io.roberta.pipelines.stage.StageManifest;
import io.roberta.pipelines.stage.Staging;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.io.fs.ResourceId;

/**
 * The pretraining stage's checkpoints and metrics on the stage folder's file system (a bucket, a
 * shared mount, local disk), written with object-store rules. The trainer keeps writing its
 * checkpoints into a worker-local scratch folder; each one is then published as files under
 * {@code checkpoints/step-NNNNNNNN/}, the metrics of the steps since the previous one as the
 * segment {@code metrics/steps-AAAAAAAA-BBBBBBBB.jsonl}, and last a commit marker {@code
 * checkpoints/step-NNNNNNNN/COMMIT.json} listing every file with its size and SHA-256. Nothing
 * is renamed, appended to or edited in place.
 *
 * <p>A resume (a new run, or Beam retrying the training bundle on another worker) takes the
 * newest committed checkpoint whose files match their commit, copies it to the new worker's
 * scratch folder together with the metrics segments up to it, and deletes what an interrupted
 * writer left behind (folders without a commit, segments past the checkpoint).
 *
 * <pre>{@code
 * RemoteCheckpoints remote = new RemoteCheckpoints(stageDir, 3);
 * remote.restore(localDir, console::println);      // before the trainer resumes
 * remote.publish(step, localCheckpoint, metrics);  // after each local checkpoint
 * }</pre>
 */
public final class RemoteCheckpoints {
  public static final String COMMIT = "COMMIT.json";
  private static final Pattern STEP = Pattern.compile("step-(\\d{8})");
  private static final Pattern SEGMENT = Pattern.compile("steps-(\\d{8})-(\\d{8})\\.jsonl");

  private final ResourceId stageDir;
  private final int keep;
  private long lastPublished;

  public RemoteCheckpoints(ResourceId stageDir, int keep) {
    this.stageDir = stageDir;
    this.keep = keep;
  }

  private ResourceId checkpoints() {
    return Artifacts.dir(stageDir, "checkpoints");
  }

  private ResourceId metrics() {
    return Artifacts.dir(stageDir, "metrics");
  }

  /** The step of the newest checkpoint published or restored (0: none). */
  public long lastPublished() {
    return lastPublished;
  }

  /** Committed steps, newest first. */
  public List<Long> committed() {
    List<Long> steps = new ArrayList<>();
    for (ResourceId dir : stepFolders()) {
      if (Artifacts.exists(Artifacts.file(dir, COMMIT))) {
        steps.add(stepOf(dir));
      }
    }
    steps.sort((a, b) -> Long.compare(b, a));
    return steps;
  }

  /**
   * Copies the newest committed checkpoint whose files verify into {@code localRoot/checkpoints/}
   * (where {@link CheckpointStore} finds it) and its metrics into {@code localRoot/metrics.jsonl};
   * deletes uncommitted or newer leftovers. Returns the step restored, 0 when there is none.
   */
  public long restore(Path localRoot, Consumer<String> log) {
    long restored = 0;
    for (long step : committed()) {
      ResourceId dir = Artifacts.dir(checkpoints(), CheckpointStore.folderName(step));
      try {
        JsonNode commit = Artifacts.readJson(Artifacts.file(dir, COMMIT));
        List<FileEntry> files = StageManifest.files(commit);
        Path staged = Staging.directory(dir, files);
        Path target = localRoot.resolve("checkpoints").resolve(CheckpointStore.folderName(step));
        for (FileEntry f : files) {
          Staging.write(target.resolve(f.name()), Staging.read(staged.resolve(f.name())));
        }
        restored = step;
        break;
      } catch (RuntimeException e) {
        log.accept("checkpoint " + Artifacts.uri(dir) + " cannot be used (" + e.getMessage()
            + "); falling back to the previous one");
      }
    }
    cleanUp(restored, log);
    StringBuilder lines = new StringBuilder();
    for (ResourceId segment : segments().values()) {
      long[] range = rangeOf(segment);
      if (range[1] <= restored) {
        lines.append(new String(Artifacts.read(segment), StandardCharsets.UTF_8));
      }
    }
    Staging.write(localRoot.resolve("metrics.jsonl"), lines.toString().getBytes(StandardCharsets.UTF_8));
    lastPublished = restored;
    return restored;
  }

  /**
   * Publishes the local checkpoint folder {@code local} of {@code step}: its files, the metrics
   * segment of the steps since the previous published checkpoint, then the commit marker; then
   * deletes committed checkpoints beyond the newest {@code keep}.
   */
  public void publish(long step, Path local, List<StepMetrics> all) {
    ResourceId dir = Artifacts.dir(checkpoints(), CheckpointStore.folderName(step));
    List<FileEntry> files = Staging.publish(local, dir, "");
    StringBuilder segment = new StringBuilder();
    for (StepMetrics m : all) {
      if (m.step() > lastPublished && m.step() <= step) {
        segment.append(io.roberta.engine.train.MetricsLog.line(m)).append('\n');
      }
    }
    if (step > lastPublished) {
      Artifacts.write(metrics(), String.format("steps-%08d-%08d.jsonl", lastPublished + 1, step),
          segment.toString().getBytes(StandardCharsets.UTF_8));
    }
    io.roberta.pipelines.stage.CrashPoint.reached(io.roberta.pipelines.stage.CrashPoint.CHECKPOINT_BEFORE_COMMIT);
    ObjectNode commit = StageManifest.object();
    commit.put("step", step);
    commit.set("files", StageManifest.filesNode(files));
    Artifacts.writeJson(dir, COMMIT, commit); // last: the checkpoint exists from here on
    lastPublished = step;
    prune();
  }

  private void prune() {
    List<Long> steps = committed();
    List<ResourceId> old = new ArrayList<>();
    for (int i = keep; i < steps.size(); i++) {
      ResourceId dir = Artifacts.dir(checkpoints(), CheckpointStore.folderName(steps.get(i)));
      // the marker first, so a half-deleted checkpoint is never taken for a whole one
      Artifacts.delete(List.of(Artifacts.file(dir, COMMIT)));
      old.addAll(Artifacts.list(dir, "*"));
    }
    Artifacts.delete(old);
  }

  /** Deletes checkpoint folders without a commit or newer than {@code restored}, and segments past it. */
  private void cleanUp(long restored, Consumer<String> log) {
    List<ResourceId> stale = new ArrayList<>();
    for (ResourceId dir : stepFolders()) {
      long step = stepOf(dir);
      if (step > restored || !Artifacts.exists(Artifacts.file(dir, COMMIT))) {
        stale.addAll(Artifacts.list(dir, "*"));
      }
    }
    for (ResourceId segment : segments().values()) {
      if (rangeOf(segment)[1] > restored) {
        stale.add(segment);
      }
    }
    if (!stale.isEmpty()) {
      log.accept("removing " + stale.size() + " file(s) an interrupted run left after step " + restored);
      // commit markers go first, so a crash in here never leaves a marker without its files
      List<ResourceId> markers = stale.stream().filter(r -> COMMIT.equals(r.getFilename())).toList();
      Artifacts.delete(markers);
      Artifacts.delete(stale.stream().filter(r -> !COMMIT.equals(r.getFilename())).toList());
    }
  }

  /** Folders under {@code checkpoints/} that hold at least one file. */
  private List<ResourceId> stepFolders() {
    TreeMap<String, ResourceId> dirs = new TreeMap<>();
    for (ResourceId f : Artifacts.list(checkpoints(), "step-*/*")) {
      ResourceId dir = f.getCurrentDirectory();
      String name = folderName(dir);
      if (STEP.matcher(name).matches()) {
        dirs.put(name, dir);
      }
    }
    return new ArrayList<>(dirs.values());
  }

  private TreeMap<String, ResourceId> segments() {
    TreeMap<String, ResourceId> out = new TreeMap<>();
    for (ResourceId f : Artifacts.list(metrics(), "steps-*.jsonl")) {
      if (SEGMENT.matcher(f.getFilename()).matches()) {
        out.put(f.getFilename(), f);
      }
    }
    return out;
  }

  private static long[] rangeOf(ResourceId segment) {
    Matcher m = SEGMENT.matcher(segment.getFilename());
    if (!m.matches()) {
      throw new IllegalArgumentException(segment + " is not a metrics segment");
    }
    return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
  }

  private static long stepOf(ResourceId dir) {
    Matcher m = STEP.matcher(folderName(dir));
    if (!m.matches()) {
      throw new IllegalArgumentException(dir + " is not a checkpoint folder");
    }
    return Long.parseLong(m.group(1));
  }

  private static String folderName(ResourceId dir) {
    String s = Artifacts.uri(dir);
    return s.substring(s.lastIndexOf('/') + 1);
  }

  /** The metrics of every committed step, in order (what the run report and plots read). */
  public static Optional<byte[]> metricsLog(ResourceId stageDir) {
    StringBuilder lines = new StringBuilder();
    RemoteCheckpoints r = new RemoteCheckpoints(stageDir, 1);
    TreeMap<String, ResourceId> segs = r.segments();
    if (segs.isEmpty()) {
      return Optional.empty();
    }
    for (ResourceId s : segs.values()) {
      lines.append(new String(Artifacts.read(s), StandardCharsets.UTF_8));
    }
    return Optional.of(lines.toString().getBytes(StandardCharsets.UTF_8));
  }
}
