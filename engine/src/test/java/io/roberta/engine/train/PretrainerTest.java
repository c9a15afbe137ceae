package io.roberta.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.engine.io.SafeTensors;
import io.roberta.engine.model.Parameters;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PretrainerTest {
  static final Pretrainer.Listener QUIET = (m, total) -> {};

  @Test
  void learnsTheSyntheticCorpus(@TempDir Path dir) throws Exception {
    Path train = TinyRun.shard(dir, "train-0.bin", 256, 1);
    Path holdout = TinyRun.shard(dir, "holdout-0.bin", 32, 2);
    try (Pretrainer t = TinyRun.trainer(TinyRun.model(0.0), TinyRun.pretrain(16, 8, 150, 150, 1e-2), train, dir.resolve("run"))) {
      t.resume(msg -> {});
      HoldoutScore before = t.evaluate(TinyRun.open(holdout), 32, 16);
      t.train(150, QUIET);
      HoldoutScore after = t.evaluate(TinyRun.open(holdout), 32, 16);
      List<StepMetrics> m = MetricsLog.read(dir.resolve("run/metrics.jsonl"));
      assertEquals(150, m.size());
      double first = (m.get(0).loss() + m.get(1).loss() + m.get(2).loss()) / 3;
      double last = (m.get(147).loss() + m.get(148).loss() + m.get(149).loss()) / 3;
      assertTrue(last < first - 1.0, "training loss should fall by more than 1 nat: " + first + " -> " + last);
      assertTrue(after.loss() < before.loss() - 1.0, before + " -> " + after);
      assertTrue(after.accuracy() > after.baselineAccuracy() + 0.1,
          "accuracy " + after.accuracy() + " should beat the constant guess " + after.baselineAccuracy());
      assertEquals(after, t.evaluate(TinyRun.open(holdout), 32, 16), "evaluation masks are fixed");
    }
  }

  @Test
  void resumingGivesTheSameRunAsNotStopping(@TempDir Path dir) throws Exception {
    Path train = TinyRun.shard(dir, "train-0.bin", 20, 1);
    var spec = TinyRun.pretrain(8, 4, 8, 4, 1e-3);
    try (Pretrainer straight = TinyRun.trainer(TinyRun.model(0.1), spec, train, dir.resolve("straight"))) {
      straight.resume(msg -> {});
      straight.train(8, QUIET);
    }
    try (Pretrainer first = TinyRun.trainer(TinyRun.model(0.1), spec, train, dir.resolve("resumed"))) {
      first.resume(msg -> {});
      first.train(6, QUIET); // checkpoint at 4; steps 5 and 6 are lost with the "crash"
    }
    List<String> log = new ArrayList<>();
    try (Pretrainer second = TinyRun.trainer(TinyRun.model(0.1), spec, train, dir.resolve("resumed"))) {
      assertEquals(4, second.resume(log::add));
      second.train(8, QUIET);
    }
    assertTrue(log.get(0).contains("resumed from") && log.get(0).contains("step-00000004"), log.toString());
    assertSameLosses(dir.resolve("straight/metrics.jsonl"), dir.resolve("resumed/metrics.jsonl"));
    SafeTensors a = SafeTensors.read(dir.resolve("straight/checkpoints/step-00000008/model.safetensors"));
    SafeTensors b = SafeTensors.read(dir.resolve("resumed/checkpoints/step-00000008/model.safetensors"));
    assertEquals(a.tensors(), b.tensors());
  }

  static void assertSameLosses(Path expected, Path actual) {
    List<StepMetrics> e = MetricsLog.read(expected);
    List<StepMetrics> a = MetricsLog.read(actual);
    assertEquals(e.size(), a.size());
    for (int i = 0; i < e.size(); i++) {
      assertEquals(e.get(i).step(), a.get(i).step());
      assertEquals(e.get(i).loss(), a.get(i).loss(), 0.0, "step " + e.get(i).step());
      assertEquals(e.get(i).gradNorm(), a.get(i).gradNorm(), 0.0, "step " + e.get(i).step());
      assertEquals(e.get(i).accuracy(), a.get(i).accuracy(), 0.0);
      assertEquals(e.get(i).learningRate(), a.get(i).learningRate(), 0.0);
    }
  }

  @Test
  void aResumedTrainerClosedBeforeAnyStepFreesItsRestoredMoments(@TempDir Path dir) throws Exception {
    Path train = TinyRun.shard(dir, "train-0.bin", 20, 1);
    var spec = TinyRun.pretrain(8, 4, 4, 2, 1e-3);
    try (Pretrainer first = TinyRun.trainer(TinyRun.model(0.1), spec, train, dir.resolve("run"))) {
      first.resume(msg -> {});
      first.train(2, QUIET); // checkpoint at 2: weights and AdamW moments
    }
    Pretrainer resumed = TinyRun.trainer(TinyRun.model(0.1), spec, train, dir.resolve("run"));
    io.roberta.engine.kernels.Nd4jKernels kernels = (io.roberta.engine.kernels.Nd4jKernels) resumed.model().kernels();
    long weights = 4L * resumed.model().parameters().count();
    assertEquals(2, resumed.resume(msg -> {}));
    // weights, gradients and the two restored moments
    assertTrue(kernels.heldBytes() >= 4 * weights, "held " + kernels.heldBytes());
    resumed.close(); // no step taken: the optimizer still owns the moments it restored
    assertEquals(0, kernels.heldBytes(), "ND4J bytes left after close");
  }

  @Test
  void microBatchesAccumulateToTheGlobalBatch(@TempDir Path dir) throws Exception {
    Path train = TinyRun.shard(dir, "train-0.bin", 16, 1);
    try (Pretrainer whole = TinyRun.trainer(TinyRun.model(0.0), TinyRun.pretrain(8, 8, 3, 3, 1e-3), train, dir.resolve("a"));
        Pretrainer split = TinyRun.trainer(TinyRun.model(0.0), TinyRun.pretrain(8, 2, 3, 3, 1e-3), train, dir.resolve("b"))) {
      whole.resume(m -> {});
      split.resume(m -> {});
      whole.train(3, QUIET);
      split.train(3, QUIET);
      List<StepMetrics> a = MetricsLog.read(dir.resolve("a/metrics.jsonl"));
      List<StepMetrics> b = MetricsLog.read(dir.resolve("b/metrics.jsonl"));
      for (int i = 0; i < 3; i++) {
        assertEquals(a.get(i).loss(), b.get(i).loss(), 1e-5 * a.get(i).loss());
        assertEquals(a.get(i).gradNorm(), b.get(i).gradNorm(), 1e-4 * a.get(i).gradNorm());
        assertEquals(a.get(i).maskedTokens(), b.get(i).maskedTokens());
      }
      Parameters pa = whole.model().parameters();
      Parameters pb = split.model().parameters();
      float[] wa = pa.kernels().toFloats(pa.get("lm_head.dense.weight").value());
      float[] wb = pb.kernels().toFloats(pb.get("lm_head.dense.weight").value());
      for (int i = 0; i < wa.length; i++) {
        assertEquals(wa[i], wb[i], 1e-5);
      }
    }
  }

  @Test
  void aNonFiniteLossStopsWithTheLastGoodCheckpoint(@TempDir Path dir) throws Exception {
    Path train = TinyRun.shard(dir, "train-0.bin", 16, 1);
    try (Pretrainer t = TinyRun.trainer(TinyRun.model(0.0), TinyRun.pretrain(4, 4, 10, 2, 1e-3), train, dir.resolve("run"))) {
      t.resume(m -> {});
      t.train(2, QUIET);
      Parameters p = t.model().parameters();
      p.kernels().set(p.get("roberta.encoder.layer.0.output.dense.weight").value(), 3, Double.NaN);
      TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> t.train(10, QUIET));
      assertTrue(e.getMessage().contains("training diverged at step 3"), e.getMessage());
      assertTrue(e.getMessage().contains("step-00000002"), e.getMessage());
      assertEquals(2, t.step());
      assertEquals(2, MetricsLog.read(dir.resolve("run/metrics.jsonl")).size());
    }
  }

  @Test
  void aCheckpointOfAnotherRunIsRefused(@TempDir Path dir) throws Exception {
    Path train = TinyRun.shard(dir, "train-0.bin", 16, 1);
    try (Pretrainer t = TinyRun.trainer(TinyRun.model(0.0), TinyRun.pretrain(4, 4, 3, 2, 1e-3), train, dir.resolve("run"))) {
      t.resume(m -> {});
      t.train(2, QUIET);
    }
    Pretrainer other = new Pretrainer(TinyRun.model(0.0), TinyRun.pretrain(4, 4, 3, 2, 1e-3), TinyRun.open(train), dir.resolve("run"),
        new io.roberta.engine.kernels.Nd4jKernels(io.roberta.engine.kernels.KernelPrecision.FP32), "another-run");
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> other.resume(m -> {}));
    assertTrue(e.getMessage().contains("belongs to another run"), e.getMessage());
    assertTrue(Files.exists(dir.resolve("run/checkpoints/step-00000002")));
  }

  @Test
  void aStepWithoutMaskedTokensIsSkippedAndCountedNotApplied(@TempDir Path dir) throws Exception {
    // blocks of only <s> and </s>: the masker never masks a special token
    java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(8 * TinyRun.BLOCK * 2)
        .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 8 * TinyRun.BLOCK; i++) {
      buf.putShort((short) (i % 2 == 0 ? 0 : 2));
    }
    Path train = Files.write(dir.resolve("specials.bin"), buf.array());
    try (Pretrainer t = TinyRun.trainer(TinyRun.model(0.0), TinyRun.pretrain(4, 4, 3, 3, 1e-2), train, dir.resolve("run"))) {
      t.resume(m -> {});
      var before = t.model().parameters().values();
      t.train(3, QUIET);
      assertEquals(3, t.step());
      assertEquals(3, t.skippedSteps());
      assertEquals(before, t.model().parameters().values(), "weight decay must not move the weights");
      assertEquals(0, MetricsLog.read(dir.resolve("run/metrics.jsonl")).get(0).maskedTokens());
    }
  }

  @Test
  void aShardIdOutsideTheVocabularyIsRefusedNamingFileAndBlock(@TempDir Path dir) throws Exception {
    Path train = TinyRun.shard(dir, "train-0.bin", 4, 1);
    byte[] bytes = Files.readAllBytes(train);
    bytes[2 * (TinyRun.BLOCK * 2 + 5)] = (byte) 200; // block 2, position 5: id 200 >= 64
    Files.write(train, bytes);
    io.roberta.engine.data.ShardFileException e = assertThrows(
        io.roberta.engine.data.ShardFileException.class,
        () -> TinyRun.trainer(TinyRun.model(0.0), TinyRun.pretrain(4, 4, 3, 3, 1e-2), train, dir.resolve("run")));
    assertTrue(e.getMessage().contains("train-0.bin") && e.getMessage().contains("block 2 position 5")
        && e.getMessage().contains("id 200"), e.getMessage());
  }
}
