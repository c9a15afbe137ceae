package io.roberta.runners.options;

import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * The DirectRunner's setting for the stages that run a model (pretraining, fine-tuning,
 * evaluation). While one long bundle trains, the DirectRunner's other worker threads keep
 * re-running its watermark monitor (Beam 2.62's ExecutorServiceParallelExecutor resubmits its
 * driver without pausing while work is outstanding; apache/beam#18070): measured here, that took
 * about a core of the two and made every training step ~45% slower than the bare engine loop.
 * With a single worker thread the monitor waits until the bundle ends. The engine spreads each
 * batch over every core itself, so evaluation shards one after another lose nothing: the main
 * example's evaluation took 94.6 s at parallelism 1 against 113.0 s at 2 (JFR: 38% of the Java
 * samples at 2 were the monitor). Other runners ignore the setting.
 */
public final class DirectTraining {
  /** Worker threads of the DirectRunner while a stage that runs a model does. */
  public static final int PARALLELISM = 1;

  private DirectTraining() {}

  /** Sets the DirectRunner's parallelism for a model stage; returns the previous value to restore. */
  public static int apply(PipelineOptions options) {
    DirectOptions direct = options.as(DirectOptions.class);
    int previous = direct.getTargetParallelism();
    direct.setTargetParallelism(PARALLELISM);
    return previous;
  }

  public static void restore(PipelineOptions options, int previous) {
    options.as(DirectOptions.class).setTargetParallelism(previous);
  }
}
