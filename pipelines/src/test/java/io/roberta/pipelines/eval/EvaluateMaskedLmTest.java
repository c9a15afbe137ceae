package io.roberta.pipelines.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.roberta.dsl.Roberta;
import io.roberta.engine.data.DynamicMasker;
import io.roberta.engine.data.TokenShards;
import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Nd4jKernels;
import io.roberta.engine.model.RobertaForMaskedLM;
import io.roberta.spec.MaskingSpec;
import io.roberta.spec.ModelSpec;
import io.roberta.spec.SpecialTokens;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Holdout scoring with fixed masks: every block once, the same numbers for 1 and 5 shards; every
 * worker's model and kernel pools freed at teardown, without the garbage collector.
 */
class EvaluateMaskedLmTest {
  static final int VOCAB = 300;
  static final int BLOCK = 16;
  static final int BLOCKS = 23;

  @Test
  void scoresEveryBlockOnceWithFixedMasksWhateverTheShards(@TempDir Path dir) throws Exception {
    ModelSpec spec = Roberta.custom(VOCAB, 32, 2, 4, 64, 24).specialTokens(SpecialTokens.roberta(VOCAB)).build();
    try (Nd4jKernels kernels = new Nd4jKernels(KernelPrecision.FP32);
        RobertaForMaskedLM model = new RobertaForMaskedLM(spec, kernels)) {
      model.initialize(5);
      model.save(dir.resolve("mlm"));
    }
    long heldBefore = Nd4jKernels.heldBytesAll(); // what other tests in this JVM still hold
    Path shard = dir.resolve("holdout-00000.bin");
    ByteBuffer buf = ByteBuffer.allocate(BLOCKS * BLOCK * 2).order(ByteOrder.LITTLE_ENDIAN);
    SplittableRandom r = new SplittableRandom(1);
    for (int i = 0; i < BLOCKS * BLOCK; i++) {
      buf.putShort((short) (i % BLOCK == 0 ? 0 : i % BLOCK == BLOCK - 1 ? 2 : 4 + r.nextInt(VOCAB - 6)));
    }
    Files.write(shard, buf.array());
    MaskingSpec masking = MaskingSpec.roberta(3);
    for (int shards : new int[] {1, 5}) {
      Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--targetParallelism=2").create());
      p.apply("EvaluateMaskedLm", EvaluateMaskedLm.of(io.roberta.pipelines.stage.FolderRef.of(dir.resolve("mlm").toString()),
              io.roberta.pipelines.corpus.CorpusOutput.ofHoldoutFiles(List.of(shard.toString()), "UINT16", BLOCK), masking)
          .shards(shards).batchSize(4).writeTo(dir.resolve("out" + shards).toString()));
      p.run().waitUntilFinish();
      // the DoFns' teardown closed their models (loaded for inference) and kernels (every
      // thread's pool): no ND4J buffer of this pipeline is left for the collector
      assertTrue(Nd4jKernels.heldBytesAll() <= heldBefore,
          (Nd4jKernels.heldBytesAll() - heldBefore) + " bytes of ND4J buffers left after the pipeline");
    }
    String one = Files.readString(dir.resolve("out1/report.json"));
    assertEquals(one, Files.readString(dir.resolve("out5/report.json")));
    JsonNode report = new ObjectMapper().readTree(one);
    assertEquals(BLOCKS, report.get("examples").asInt());
    long expectedMasked = 0;
    DynamicMasker masker = new DynamicMasker(masking, spec.specialTokens(), VOCAB);
    try (TokenShards s = TokenShards.open(List.of(shard), TokenShards.Dtype.UINT16, BLOCK)) {
      int[] block = new int[BLOCK];
      for (long b = 0; b < BLOCKS; b++) {
        s.read(b, block);
        expectedMasked += masker.mask(block, EvaluateMaskedLm.EVAL_EPOCH, b).maskedCount();
      }
    }
    JsonNode m = report.get("metrics");
    assertEquals(expectedMasked, m.get("masked_tokens").asLong());
    assertEquals(Math.exp(m.get("loss").asDouble()), m.get("perplexity").asDouble(), 1e-9);
    // accuracy over the masked tokens whose input was <mask> (MaskAccuracyTest checks the counting)
    double atMask = m.get("accuracy_at_mask").asDouble();
    assertTrue(atMask >= 0 && atMask < 0.2, "an untrained model guesses the <mask> rows: " + m);
    // an untrained model is close to uniform over the vocabulary
    assertTrue(Math.abs(m.get("loss").asDouble() - Math.log(VOCAB)) < 0.5, m.toString());
  }
}
