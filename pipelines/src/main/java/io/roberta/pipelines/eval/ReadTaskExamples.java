package io.roberta.pipelines.eval;

import io.roberta.pipelines.stage.Staging;
import io.roberta.pipelines.tasks.TaskExample;
import io.roberta.pipelines.tasks.TaskSource;
import java.io.Serializable;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;

/**
 * A task's split read inside the pipeline: the job carries only the task name and the data's URI
 * (Dataflow caps a job request at about 20 MB), and a worker stages the files and parses them
 * ({@link TaskSource}); {@link EvaluateShards} then spreads the examples over workers by shard.
 *
 * <pre>{@code
 * PCollection<TaskExample> dev = p.apply("ReadDev", ReadTaskExamples.of("rte", "gs://b/glue/RTE", TaskSource.Split.EVAL));
 * }</pre>
 */
public final class ReadTaskExamples extends PTransform<PBegin, PCollection<TaskExample>> {
  private final Source source;

  record Source(String task, String data, TaskSource.Split split) implements Serializable {}

  private ReadTaskExamples(Source source) {
    this.source = source;
  }

  public static ReadTaskExamples of(String task, String dataUri, TaskSource.Split split) {
    return new ReadTaskExamples(new Source(task, dataUri, split));
  }

  @Override
  public PCollection<TaskExample> expand(PBegin begin) {
    return begin
        .apply("Split", Create.of(source).withCoder(SerializableCoder.of(Source.class)))
        .apply("ParseExamples", ParDo.of(new ParseFn()))
        .setCoder(SerializableCoder.of(TaskExample.class));
    // No Reshuffle here: EvaluateShards groups by shard next, which already spreads the examples
    // and breaks fusion. A random-key Reshuffle before that group made the DirectRunner hand the
    // group one bundle per example, and its copy-on-access state copied the shard's whole bag for
    // each: quadratic: the 10,658 brown-pos sentences of the main example were still not scored after 5 minutes.
  }

  static final class ParseFn extends DoFn<Source, TaskExample> {
    @ProcessElement
    public void process(@Element Source s, OutputReceiver<TaskExample> out) {
      for (TaskExample e : TaskSource.read(s.task(), Staging.input(s.data()), s.split()).examples()) {
        out.output(e);
      }
    }
  }
}
