package io.roberta.pipelines.pretrain;

import io.roberta.dsl.Corpus;
import io.roberta.dsl.Packing;
import io.roberta.dsl.Pretrain;
import io.roberta.dsl.RecipeBuilder;
import io.roberta.dsl.Roberta;
import io.roberta.dsl.Sources;
import io.roberta.dsl.Tokenizer;
import io.roberta.spec.Recipe;
import io.roberta.spec.RecipeJson;
import io.roberta.spec.SpecialTokens;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/** A tiny recipe and synthetic shards ({@code <s> a b a b ... </s>}) for training-stage tests. */
final class TinyJob {
  static final int VOCAB = 300;
  static final int BLOCK = 16;

  private TinyJob() {}

  static Recipe recipe(String accelerator) {
    return recipe(accelerator, p -> p);
  }

  /** {@code tune} adjusts the pretraining section (e.g. multi-worker rounds). */
  static Recipe recipe(String accelerator, java.util.function.UnaryOperator<Pretrain> tune) {
    Pretrain pre = tune.apply(
        Pretrain.mlm().batchSize(8).microBatch(4).peakLearningRate(1e-3).warmupSteps(2).totalSteps(6).checkpointEvery(3).seed(3));
    if (accelerator != null) {
      pre.accelerator(accelerator);
    }
    return RecipeBuilder.named("tiny-job")
        .model(Roberta.custom(VOCAB, 32, 2, 4, 64, 24).specialTokens(SpecialTokens.roberta(VOCAB)))
        .tokenizer(Tokenizer.byteLevelBpe().vocabSize(VOCAB))
        .corpus(Corpus.of(Sources.textFiles("unused/*.txt")).holdout(0.1).pack(Packing.fullSentences(BLOCK)))
        .pretrain(pre)
        .build();
  }

  static Path shard(Path file, int blocks, long seed) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(blocks * BLOCK * 2).order(ByteOrder.LITTLE_ENDIAN);
    SplittableRandom r = new SplittableRandom(seed);
    for (int b = 0; b < blocks; b++) {
      int[] pair = {4 + r.nextInt(VOCAB - 6), 4 + r.nextInt(VOCAB - 6)};
      buf.putShort((short) 0);
      for (int i = 1; i < BLOCK - 1; i++) {
        buf.putShort((short) pair[i % 2]);
      }
      buf.putShort((short) 2);
    }
    Files.createDirectories(file.getParent());
    return Files.write(file, buf.array());
  }

  static TrainingJob job(Path dir, Recipe recipe, long untilStep) throws IOException {
    return job(dir, recipe, untilStep, 1);
  }

  /** With {@code trainShards} training shards of 24 blocks each. */
  static TrainingJob job(Path dir, Recipe recipe, long untilStep, int trainShards) throws IOException {
    List<String> trains = new java.util.ArrayList<>();
    for (int i = 0; i < trainShards; i++) {
      trains.add(shard(dir.resolve(String.format("corpus/train-%05d.bin", i)), 24, 1 + 10 * i).toString());
    }
    Path holdout = shard(dir.resolve("corpus/holdout-00000.bin"), 4, 2);
    Path tok = Files.createDirectories(dir.resolve("tokenizer"));
    Files.writeString(tok.resolve("tokenizer.json"), "{\"version\":\"1.0\"}");
    return new TrainingJob(RecipeJson.write(recipe), "fp-" + recipe.name(),
        io.roberta.pipelines.corpus.CorpusOutput.ofFiles(trains, List.of(holdout.toString()), "UINT16", BLOCK),
        io.roberta.pipelines.tokenizer.TokenizerRef.of(tok.toString()), dir.resolve("pretrain").toString(), untilStep, 16, "auto");
  }
}
