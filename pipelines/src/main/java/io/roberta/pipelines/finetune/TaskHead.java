package io.roberta.pipelines.finetune;

import io.roberta.engine.io.HfConfig;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.model.Batch;
import io.roberta.engine.model.RobertaTaskModel;
import io.roberta.engine.model.RunMode;
import io.roberta.spec.FinetuneSpec.Head;
import io.roberta.spec.ModelSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A task model behind one interface for the fine-tuning loop and evaluation: builds batches from
 * {@link Feature}s, runs a training step for the head's loss, and returns raw per-feature scores
 * (class logits, the regression value, per-token logits, start and end logits, or one score per
 * choice). What differs per kind of head lives in {@link HeadKind}.
 *
 * <pre>{@code
 * try (TaskHead head = TaskHead.fromPretrained(mlmDir, Head.SEQUENCE_CLASSIFICATION, 15, seed, kernels)) {
 *   ...
 * } // the model's weights and gradients are freed here
 * }</pre>
 */
public final class TaskHead implements AutoCloseable {
  private final Head head;
  private final Bound<?> bound;

  /** A kind and a model with the same targets type. */
  private record Bound<T>(HeadKind<T> kind, RobertaTaskModel<T> model) {
    double trainStep(List<Feature> features, RunMode mode) {
      Batch batch = kind.batch(features, model.spec().specialTokens().pad());
      return model.forwardBackward(batch, kind.targets(features, batch), mode);
    }

    float[][] scores(List<Feature> features) {
      Batch batch = kind.batch(features, model.spec().specialTokens().pad());
      return kind.split(model.scoresOnHost(batch), features, batch, model.numLabels());
    }
  }

  private TaskHead(Head head, Bound<?> bound) {
    this.head = head;
    this.bound = bound;
  }

  /** A pretrained encoder (any RoBERTa HF directory or our export) with a new head from {@code seed}. */
  public static TaskHead fromPretrained(Path dir, Head head, int numLabels, long seed, Kernels kernels) throws IOException {
    return new TaskHead(head, pretrained(HeadKind.of(head), dir, numLabels, seed, kernels));
  }

  /** Every weight random from {@code seed} (the no-pretraining baseline). */
  public static TaskHead random(ModelSpec spec, Head head, int numLabels, long seed, Kernels kernels) {
    return new TaskHead(head, random(HeadKind.of(head), spec, numLabels, seed, kernels));
  }

  /**
   * A fine-tuned model saved by {@link RobertaTaskModel#save}, for evaluation: loaded without
   * gradient buffers, so {@link #trainStep} refuses it.
   */
  public static TaskHead load(Path dir, Head head, Kernels kernels) throws IOException {
    int numLabels = HfConfig.read(dir.resolve(RobertaTaskModel.CONFIG_FILE)).numLabels();
    return new TaskHead(head, loaded(HeadKind.of(head), dir, numLabels, kernels));
  }

  private static <T> Bound<T> pretrained(HeadKind<T> kind, Path dir, int numLabels, long seed, Kernels k)
      throws IOException {
    return new Bound<>(kind, RobertaTaskModel.fromPretrained(dir, kind.factory(numLabels), seed, k));
  }

  private static <T> Bound<T> random(HeadKind<T> kind, ModelSpec spec, int numLabels, long seed, Kernels k) {
    return new Bound<>(kind, RobertaTaskModel.random(spec, kind.factory(numLabels), seed, k));
  }

  private static <T> Bound<T> loaded(HeadKind<T> kind, Path dir, int numLabels, Kernels k) throws IOException {
    return new Bound<>(kind, RobertaTaskModel.loadForInference(dir, kind.factory(numLabels), k));
  }

  public Head head() {
    return head;
  }

  public RobertaTaskModel<?> model() {
    return bound.model();
  }

  /** The loss of one batch, accumulating gradients into the model's parameters. */
  public double trainStep(List<Feature> features, RunMode mode) {
    return bound.trainStep(features, mode);
  }

  /**
   * Inference scores per feature: {@code [numLabels]} logits, {@code [1]} value, {@code [len *
   * numLabels]} token logits, {@code [2 * len]} start then end logits, or {@code [choices]}.
   */
  public float[][] scores(List<Feature> features) {
    return bound.scores(features);
  }

  /** Frees the model's weights (and gradients) now; its kernels stay open for their owner to close. */
  @Override
  public void close() {
    bound.model().close();
  }
}
