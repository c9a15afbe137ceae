package io.roberta.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.engine.data.DynamicMasker;
import io.roberta.engine.data.TokenShards;
import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.NativeMemory;
import io.roberta.engine.kernels.Nd4jKernels;
import io.roberta.engine.model.Batch;
import io.roberta.engine.model.ModelUse;
import io.roberta.engine.model.RobertaForMaskedLM;
import io.roberta.spec.LayerSharing;
import io.roberta.spec.ModelSpec;
import io.roberta.spec.PretrainSpec;
import io.roberta.spec.SpecialTokens;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A training stage and an evaluation stage, again and again in one JVM, each on fresh threads as
 * Beam's workers run them (the evaluation's setup, scoring and teardown each on its own thread),
 * with no garbage collection asked. Each stage holds tens of MB of ND4J buffers at its peak
 * (weights, gradients, AdamW moments, pooled activations, the evaluated model); when it ends they
 * must all be freed, so after every round the ND4J buffers held are back at their level before
 * the first, and resident memory stops growing. Before models, optimizer and kernels were closed
 * where their work ended, that memory waited for the collector and {@code RecipeRun} called
 * {@code System.gc()} between stages.
 */
class CrossStageMemoryTest {
  static final int VOCAB = 8192;
  static final int BLOCK = 32;
  static final int ROUNDS = 6;
  static final int WARM_ROUNDS = 2;

  static ModelSpec model() {
    // 2.1 M word-embedding weights: ~16 MB of fp32 parameters, 4x that while training
    return new ModelSpec(VOCAB, 256, 2, 4, 1024, BLOCK + 8, 1, 1e-5, 0.1, 0.1, 0.02,
        SpecialTokens.roberta(VOCAB), LayerSharing.NONE);
  }

  static Path shard(Path dir, int blocks, long seed) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(blocks * BLOCK * 2).order(ByteOrder.LITTLE_ENDIAN);
    SplittableRandom r = new SplittableRandom(seed);
    for (int b = 0; b < blocks; b++) {
      buf.putShort((short) 0);
      for (int i = 1; i < BLOCK - 1; i++) {
        buf.putShort((short) (4 + r.nextInt(VOCAB - 8)));
      }
      buf.putShort((short) 2);
    }
    Files.createDirectories(dir);
    return Files.write(dir.resolve("blocks.bin"), buf.array());
  }

  /** Runs {@code body} on a new thread, as a runner's worker would, and waits for it. */
  static void onNewThread(String name, Runnable body) {
    AtomicReference<Throwable> failed = new AtomicReference<>();
    Thread t = new Thread(() -> {
      try {
        body.run();
      } catch (Throwable e) {
        failed.set(e);
      }
    }, name);
    t.start();
    try {
      t.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    if (failed.get() != null) {
      throw new AssertionError(name + " failed", failed.get());
    }
  }

  /** Resident bytes, once the C allocator has returned what was freed. */
  static long resident() {
    NativeMemory.trimFreedMemory();
    return NativeMemory.snapshot().residentBytes();
  }

  /** Pretrains 3 steps, scores the holdout, exports, closes everything; returns the ND4J bytes it held at its end. */
  static long trainingStage(Path shard, Path out) {
    AtomicLong held = new AtomicLong();
    onNewThread("train", () -> {
      PretrainSpec spec = TinyRun.pretrain(8, 4, 3, 3, 1e-3);
      Nd4jKernels kernels = new Nd4jKernels(KernelPrecision.FP32);
      try (kernels;
          TokenShards train = TokenShards.open(List.of(shard), TokenShards.Dtype.UINT16, BLOCK);
          Pretrainer trainer = new Pretrainer(model(), spec, train, out.resolve("run"), kernels, "cross-stage")) {
        trainer.train(3, (m, total) -> {});
        trainer.evaluate(train, 16, 8);
        trainer.exportHuggingFace(out.resolve("hf"));
        held.set(kernels.heldBytes());
      }
      assertEquals(0, kernels.heldBytes(), "the training stage's buffers after close");
    });
    return held.get();
  }

  /** Loads the exported model for inference (setup), scores (another thread), closes (a third). */
  static double evalStage(Path shard, Path hf) {
    AtomicReference<Nd4jKernels> kernels = new AtomicReference<>();
    AtomicReference<RobertaForMaskedLM> model = new AtomicReference<>();
    AtomicReference<Double> loss = new AtomicReference<>();
    onNewThread("eval-setup", () -> {
      kernels.set(new Nd4jKernels(KernelPrecision.FP32));
      try {
        model.set(RobertaForMaskedLM.loadForInference(hf, kernels.get()));
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    onNewThread("eval-process", () -> {
      RobertaForMaskedLM m = model.get();
      assertEquals(ModelUse.INFERENCE, m.use());
      try (TokenShards holdout = TokenShards.open(List.of(shard), TokenShards.Dtype.UINT16, BLOCK)) {
        MaskedLmScorer scorer = new MaskedLmScorer(m,
            new DynamicMasker(io.roberta.spec.MaskingSpec.roberta(5), m.spec().specialTokens(), VOCAB));
        MaskedLmScorer.Sums s = scorer.score(holdout, LongStream.range(0, 8).boxed().toList());
        loss.set(s.lossSum() / s.masked());
        // full-vocabulary logits of one batch, to the host: [8 * 32, 8192], 8 MB
        int[] ids = new int[8 * BLOCK];
        int[] block = new int[BLOCK];
        for (int b = 0; b < 8; b++) {
          holdout.read(b, block);
          System.arraycopy(block, 0, ids, b * BLOCK, BLOCK);
        }
        float[] logits = m.scoresOnHost(new Batch(8, BLOCK, ids, null, null));
        assertEquals(8L * BLOCK * VOCAB, logits.length);
      }
    });
    onNewThread("eval-teardown", () -> {
      try (Nd4jKernels k = kernels.get(); RobertaForMaskedLM m = model.get()) {
        assertTrue(k.pooledBytes() > 0, "the scoring thread's pool should hold activations before close");
      }
      assertEquals(0, kernels.get().pooledBytes(), "close() frees every thread's pool");
      assertEquals(0, kernels.get().heldBytes(), "the evaluation's buffers after close");
    });
    return loss.get();
  }

  @Test
  void everyBufferOfATrainingAndAnEvaluationStageIsFreedWhenTheyEnd(@TempDir Path dir) throws IOException {
    Path shard = shard(dir.resolve("shards"), 64, 7);
    long heldBefore = Nd4jKernels.heldBytesAll(); // other tests' models this JVM may still hold
    List<Long> held = new ArrayList<>();
    List<Long> resident = new ArrayList<>();
    long peak = 0;
    for (int round = 0; round < ROUNDS; round++) {
      Path out = dir.resolve("round-" + round);
      peak = Math.max(peak, trainingStage(shard, out));
      double loss = evalStage(shard, out.resolve("hf"));
      assertTrue(Double.isFinite(loss) && loss > 0, "eval loss " + loss);
      deleteTree(out);
      held.add(Nd4jKernels.heldBytesAll() - heldBefore);
      resident.add(resident());
    }
    String figures = "ND4J bytes held after each round " + held + " (training held " + peak
        + " at its end); resident bytes after each round " + resident;
    System.out.println("CrossStageMemoryTest: " + figures);
    // 16 MB of weights, as much of gradients, 32 MB of moments, the pooled activations
    assertTrue(peak > 60_000_000L, figures);
    for (long h : held) {
      // what another test left to the collector may be collected meanwhile: <= 0 is fine
      assertTrue(h <= 0, "ND4J buffers left after a round: " + figures);
    }
    // Resident memory is printed, not asserted: the Java heap's first touch of its committed
    // pages (hundreds of MB here) moves it more than a stage's buffers do.
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
