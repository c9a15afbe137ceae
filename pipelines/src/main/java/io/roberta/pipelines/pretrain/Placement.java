package io.roberta.pipelines.pretrain;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Which keys the K worker tasks of a round carry, so that the runner's shuffle sends them to K
 * different workers (slots).
 */
final class Placement {
  private Placement() {}

  /** The Flink runner's {@code --parallelism} under the same name (other runners leave it -1). */
  public interface ParallelismOption extends PipelineOptions {
    @Description("The degree of parallelism (the Flink runner's option; -1: the runner's default).")
    @Default.Integer(-1)
    Integer getParallelism();

    void setParallelism(Integer parallelism);
  }

  static int parallelism(PipelineOptions options, int workers) {
    Integer p = options.as(ParallelismOption.class).getParallelism();
    return p == null || p < 1 ? workers : p;
  }

  /**
   * One key per worker: with {@code parallelism >= workers} on Flink's (default, DataSet) batch
   * path, the keys land on distinct subtasks, hence distinct task slots ({@link SpreadKeys}); with
   * fewer slots than workers, worker {@code w} shares subtask {@code w % parallelism}. Other runners
   * (Direct, Dataflow) only need the shuffle to break fusion; the keys do not matter there.
   */
  static int[] keys(int workers, int parallelism) {
    int[] spread = SpreadKeys.keysFor(Math.min(workers, parallelism), parallelism);
    int[] keys = new int[workers];
    for (int w = 0; w < workers; w++) {
      keys[w] = spread[w % spread.length];
    }
    return keys;
  }
}
