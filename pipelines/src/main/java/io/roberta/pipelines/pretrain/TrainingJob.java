package io.roberta.pipelines.pretrain;

import java.io.Serializable;
import java.util.List;

/**
 * What the training stage needs, as one element of the pipeline: the recipe (JSON, so the worker
 * rebuilds the exact specs), the corpus stage's shard files, the tokenizer folder to ship with
 * the exported model, and the stage's output folder. {@code untilStep} below the schedule's total
 * stops early (tests, time-boxed runs); -1 runs the whole schedule. {@code backend} is {@code
 * --backend}: nd4j, cuda or auto.
 */
public record TrainingJob(
    String recipeJson,
    String stageFingerprint,
    List<String> trainShards,
    List<String> holdoutShards,
    String dtype,
    int blockLength,
    String tokenizerDir,
    String outDir,
    long untilStep,
    int holdoutBlocks,
    String backend) implements Serializable {

  /** A job on the backend {@code --backend=auto} picks. */
  public TrainingJob(String recipeJson, String stageFingerprint, List<String> trainShards, List<String> holdoutShards,
      String dtype, int blockLength, String tokenizerDir, String outDir, long untilStep, int holdoutBlocks) {
    this(recipeJson, stageFingerprint, trainShards, holdoutShards, dtype, blockLength, tokenizerDir, outDir, untilStep,
        holdoutBlocks, "auto");
  }

  public TrainingJob {
    trainShards = List.copyOf(trainShards);
    holdoutShards = List.copyOf(holdoutShards);
    if (trainShards.isEmpty()) {
      throw new IllegalArgumentException("a training job needs at least one training shard");
    }
  }
}
