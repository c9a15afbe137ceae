package io.roberta.engine.train;

import io.roberta.engine.data.TokenShards;
import io.roberta.engine.kernels.Nd4jKernels;
import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.spec.LayerSharing;
import io.roberta.spec.MaskingSpec;
import io.roberta.spec.ModelSpec;
import io.roberta.spec.OptimizerSpec;
import io.roberta.spec.PretrainSpec;
import io.roberta.spec.ScheduleSpec;
import io.roberta.spec.SpecialTokens;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** A tiny model and a learnable synthetic corpus for training-loop tests. */
final class TinyRun {
  static final int VOCAB = 64;
  static final int BLOCK = 16;

  private TinyRun() {}

  static ModelSpec model(double dropout) {
    return new ModelSpec(VOCAB, 32, 2, 4, 64, 24, 1, 1e-5, dropout, dropout, 0.02, SpecialTokens.roberta(VOCAB), LayerSharing.NONE);
  }

  static PretrainSpec pretrain(int batch, int micro, int totalSteps, int checkpointEvery, double lr) {
    return new PretrainSpec(batch, micro, io.roberta.spec.Precision.FP32, MaskingSpec.roberta(5),
        new OptimizerSpec(0.9, 0.98, 1e-6, 0.01, 1.0), new ScheduleSpec(lr, 2, totalSteps), checkpointEvery, 2, 3, null);
  }

  /**
   * Blocks {@code <s> a b a b ... </s>} with a random pair of tokens from 4..61 per block: a masked
   * token is one of the two seen around it, so a model that learns anything beats the constant
   * guess by far.
   */
  static Path shard(Path dir, String name, int blocks, long seed) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(blocks * BLOCK * 2).order(ByteOrder.LITTLE_ENDIAN);
    java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
    for (int b = 0; b < blocks; b++) {
      int[] pair = {4 + r.nextInt(58), 4 + r.nextInt(58)};
      buf.putShort((short) 0);
      for (int i = 1; i < BLOCK - 1; i++) {
        buf.putShort((short) pair[i % 2]);
      }
      buf.putShort((short) 2);
    }
    Files.createDirectories(dir);
    return Files.write(dir.resolve(name), buf.array());
  }

  static TokenShards open(Path shard) {
    return TokenShards.open(List.of(shard), TokenShards.Dtype.UINT16, BLOCK);
  }

  static Pretrainer trainer(ModelSpec model, PretrainSpec spec, Path shard, Path out) {
    return new Pretrainer(model, spec, open(shard), out, new Nd4jKernels(KernelPrecision.FP32), "test-fingerprint");
  }
}
