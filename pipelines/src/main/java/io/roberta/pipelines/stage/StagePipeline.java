package io.roberta.pipelines.stage;

import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;

/**
 * Runs a stage's pipeline to its end on the runner its options name, and fails naming the stage
 * when the pipeline ends in any state but {@code DONE}: what every stage does between wiring its
 * transforms ({@code build}) and committing its manifest.
 *
 * <pre>{@code StagePipeline.runToCompletion(pipeline, "pretrain");}</pre>
 */
public final class StagePipeline {
  private StagePipeline() {}

  public static void runToCompletion(Pipeline pipeline, String stage) {
    PipelineResult.State state = pipeline.run().waitUntilFinish();
    if (state != PipelineResult.State.DONE) {
      throw new IllegalStateException("the " + stage + " pipeline ended in state " + state);
    }
  }
}
