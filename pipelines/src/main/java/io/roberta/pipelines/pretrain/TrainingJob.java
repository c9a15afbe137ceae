package io.roberta.pipelines.pretrain;

import io.roberta.pipelines.corpus.CorpusOutput;
import io.roberta.pipelines.tokenizer.TokenizerRef;
import java.io.Serializable;

/**
 * What the training stage needs, as one element of the pipeline: the recipe (JSON, so the worker
 * rebuilds the exact specs), the corpus stage's output (shards by URI, size and SHA-256), the
 * tokenizer to ship with the exported model (null: none), and the stage's output folder (a URI:
 * local path, {@code gs://}, ...). {@code untilStep} below the schedule's total stops early
 * (tests, time-boxed runs); -1 runs the whole schedule. {@code backend} is {@code --backend}:
 * nd4j, cuda or auto.
 */
public record TrainingJob(
    String recipeJson,
    String stageFingerprint,
    CorpusOutput corpus,
    TokenizerRef tokenizer,
    String outDir,
    long untilStep,
    int holdoutBlocks,
    String backend) implements Serializable {

  public TrainingJob {
    if (corpus.train().isEmpty()) {
      throw new IllegalArgumentException(corpus.dir() + ": the corpus has no training shards (splits.train.shards is empty)");
    }
    io.roberta.pipelines.stage.Artifacts.checkUri(outDir);
  }

  public TrainingJob withBackend(String backend) {
    return new TrainingJob(recipeJson, stageFingerprint, corpus, tokenizer, outDir, untilStep, holdoutBlocks, backend);
  }
}
