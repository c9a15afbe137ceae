package io.roberta.pipelines.pretrain;

import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.resourcehints.ResourceHints;
import org.apache.beam.sdk.values.PCollection;

/**
 * The pretraining stage as a Beam transform: each {@link TrainingJob} is trained by one worker.
 * The training {@code ParDo} alone carries the accelerator resource hint, so on Dataflow only this
 * step asks for GPU workers. A retried bundle finds the job's checkpoints and resumes from the
 * newest valid one: retry is resume.
 *
 * <pre>{@code
 * PCollection<TrainingResult> results = pipeline
 *     .apply("TrainingJob", Create.of(job).withCoder(SerializableCoder.of(TrainingJob.class)))
 *     .apply("TrainModel", TrainModel.withAccelerator("type:nvidia-l4;count:1;install-nvidia-driver"));
 * }</pre>
 */
public final class TrainModel extends PTransform<PCollection<TrainingJob>, PCollection<TrainingResult>> {
  /** The name of the training step inside this transform (where the hint sits). */
  public static final String TRAIN_STEP = "TrainOnWorker";

  private final String accelerator;

  private TrainModel(String accelerator) {
    this.accelerator = accelerator;
  }

  /** Trains on whatever workers the runner has. */
  public static TrainModel onCpu() {
    return new TrainModel(null);
  }

  /** Asks the runner for an accelerator for the training step only; null means none. */
  public static TrainModel withAccelerator(String acceleratorHint) {
    return new TrainModel(acceleratorHint);
  }

  @Override
  public PCollection<TrainingResult> expand(PCollection<TrainingJob> jobs) {
    ParDo.SingleOutput<TrainingJob, TrainingResult> train = ParDo.of(new TrainFn());
    if (accelerator != null) {
      train.setResourceHints(ResourceHints.create().withAccelerator(accelerator));
    }
    return jobs.apply(TRAIN_STEP, train).setCoder(SerializableCoder.of(TrainingResult.class));
  }

  /** Runs {@link PretrainRun} for one job; the console is the worker's standard error. */
  static final class TrainFn extends DoFn<TrainingJob, TrainingResult> {
    @ProcessElement
    public void process(@Element TrainingJob job, OutputReceiver<TrainingResult> out) {
      out.output(PretrainRun.run(job, System.err));
    }
  }
}
