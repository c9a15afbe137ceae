package io.roberta.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run of 2N steps, and a run of N steps whose process is killed (SIGKILL, two steps past its
 * checkpoint) and then resumed for N more, give identical losses.
 */
class ProcessKillResumeTest {
  @Test
  void aKilledRunResumesExactly(@TempDir Path dir) throws Exception {
    Path straightDir = dir.resolve("straight");
    Path killedDir = dir.resolve("killed");
    TinyRun.shard(straightDir, "train-0.bin", 20, 1);
    TinyRun.shard(killedDir, "train-0.bin", 20, 1);
    var spec = TinyRun.pretrain(8, 4, 8, 4, 1e-3);
    try (Pretrainer straight = TinyRun.trainer(TinyRun.model(0.1), spec, straightDir.resolve("train-0.bin"), straightDir.resolve("run"))) {
      straight.resume(m -> {});
      straight.train(8, PretrainerTest.QUIET);
    }

    Process child = new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
            "-cp", System.getProperty("java.class.path"), TrainUntilKilled.class.getName(), killedDir.toString(), "6")
        .redirectErrorStream(true)
        .start();
    List<String> lines = new ArrayList<>();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        lines.add(line);
        if (line.equals("WAITING")) {
          child.destroyForcibly(); // SIGKILL mid-run: no shutdown hooks, nothing flushed
          break;
        }
      }
    } finally {
      child.destroyForcibly();
      assertTrue(child.waitFor(60, TimeUnit.SECONDS));
    }
    assertTrue(lines.contains("CHECKPOINT 4") && lines.contains("STEP 6") && !lines.contains("FINISHED"), lines.toString());
    assertEquals(6, MetricsLog.read(killedDir.resolve("run/metrics.jsonl")).size(), "the killed run got to step 6");

    List<String> log = new ArrayList<>();
    try (Pretrainer resumed = TinyRun.trainer(TinyRun.model(0.1), spec, killedDir.resolve("train-0.bin"), killedDir.resolve("run"))) {
      assertEquals(4, resumed.resume(log::add), log.toString());
      resumed.train(8, PretrainerTest.QUIET);
    }
    PretrainerTest.assertSameLosses(straightDir.resolve("run/metrics.jsonl"), killedDir.resolve("run/metrics.jsonl"));
  }
}
