package io.roberta.pipelines.pretrain;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * How multi-worker pretraining rounds are submitted: how to run, never what to train.
 *
 * <pre>{@code roberta run MyRecipe --roundsPerPipeline=8}</pre>
 */
public interface RoundsOptions extends PipelineOptions {
  @Description("Multi-worker pretraining: rounds chained into one pipeline (one job submission). More rounds per"
      + " pipeline spend less time submitting jobs; fewer let the driver report and resume between them.")
  @Default.Integer(4)
  int getRoundsPerPipeline();

  void setRoundsPerPipeline(int rounds);
}
