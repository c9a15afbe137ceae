package io.roberta.runners.options;

import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * The DirectRunner's setting for the training stage. While one long bundle trains, the
 * DirectRunner's other worker threads keep re-running its watermark monitor: measured here, that
 * took about a core of the two and made every training step ~45% slower than the bare engine
 * loop. With a single worker thread the monitor waits until the bundle ends. Other runners
 * ignore the setting.
 */
public final class DirectTraining {
  /** Worker threads of the DirectRunner while a training stage runs. */
  public static final int PARALLELISM = 1;

  private DirectTraining() {}

  /** Sets the DirectRunner's parallelism for training; returns the previous value to restore. */
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
