package io.roberta.engine.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.roberta.engine.io.SafeTensors;
import io.roberta.spec.PretrainSpec;
import io.roberta.spec.SequenceCurriculumSpec;
import io.roberta.spec.SpecException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Short pieces for the first steps, whole blocks after: same blocks, masks and labels; resumable. */
class SequenceCurriculumTest {

  private static PretrainSpec withPieces(PretrainSpec spec, int length, int steps) {
    return spec.withSequenceCurriculum(new SequenceCurriculumSpec(length, steps));
  }

  @Test
  void theFirstStepsArePiecesOfTheSameMaskedBlocks(@TempDir Path dir) throws Exception {
    Path train = TinyRun.shard(dir, "train-0.bin", 20, 1);
    var model = TinyRun.model(0.0);
    PretrainSpec plain = TinyRun.pretrain(8, 4, 8, 4, 1e-3);
    StepBatches whole = new StepBatches(model, plain, TinyRun.open(train));
    StepBatches curriculum = new StepBatches(model, withPieces(plain, 4, 3), TinyRun.open(train));
    for (long step = 0; step < 5; step++) {
      StepBatches.Step a = whole.forStep(step);
      StepBatches.Step b = curriculum.forStep(step);
      assertEquals(a.maskedTokens(), b.maskedTokens());
      for (int m = 0; m < a.batches().length; m++) {
        assertArrayEquals(a.batches()[m].inputIds(), b.batches()[m].inputIds(), "step " + step);
        assertArrayEquals(a.labels()[m], b.labels()[m], "step " + step);
        int length = step < 3 ? 4 : TinyRun.BLOCK;
        assertEquals(length, b.batches()[m].length(), "step " + step);
        assertEquals(4 * TinyRun.BLOCK / length, b.batches()[m].size(), "step " + step);
      }
    }
    assertArrayEquals(new int[] {0, 4, 8, 12}, java.util.Arrays.copyOf(curriculum.forStep(0).batches()[0].positionStarts(), 4));
    var tooLong = withPieces(plain, 5, 3);
    assertThrows(SpecException.class, () -> new StepBatches(model, tooLong, TinyRun.open(train)));
  }

  @Test
  void aRunWithTheCurriculumResumesToTheSameBytesAndDiffersFromOneWithout(@TempDir Path dir) throws Exception {
    Path train = TinyRun.shard(dir, "train-0.bin", 20, 1);
    PretrainSpec spec = withPieces(TinyRun.pretrain(8, 4, 8, 4, 1e-3), 4, 6);
    try (Pretrainer straight = TinyRun.trainer(TinyRun.model(0.1), spec, train, dir.resolve("straight"))) {
      straight.resume(msg -> {});
      straight.train(8, PretrainerTest.QUIET);
    }
    try (Pretrainer first = TinyRun.trainer(TinyRun.model(0.1), spec, train, dir.resolve("resumed"))) {
      first.resume(msg -> {});
      first.train(5, PretrainerTest.QUIET); // checkpoint at 4, inside the curriculum
    }
    try (Pretrainer second = TinyRun.trainer(TinyRun.model(0.1), spec, train, dir.resolve("resumed"))) {
      assertEquals(4, second.resume(msg -> {}));
      second.train(8, PretrainerTest.QUIET);
    }
    PretrainerTest.assertSameLosses(dir.resolve("straight/metrics.jsonl"), dir.resolve("resumed/metrics.jsonl"));
    SafeTensors a = SafeTensors.read(dir.resolve("straight/checkpoints/step-00000008/model.safetensors"));
    SafeTensors b = SafeTensors.read(dir.resolve("resumed/checkpoints/step-00000008/model.safetensors"));
    assertEquals(a.tensors(), b.tensors());

    try (Pretrainer plain = TinyRun.trainer(TinyRun.model(0.1), TinyRun.pretrain(8, 4, 8, 4, 1e-3), train,
        dir.resolve("plain"))) {
      plain.resume(msg -> {});
      plain.train(8, PretrainerTest.QUIET);
    }
    List<StepMetrics> withPieces = MetricsLog.read(dir.resolve("straight/metrics.jsonl"));
    List<StepMetrics> without = MetricsLog.read(dir.resolve("plain/metrics.jsonl"));
    // step 1 starts from the same parameters on the same masked blocks: only attention's span differs
    assertNotEquals(without.get(0).loss(), withPieces.get(0).loss());
  }
}
