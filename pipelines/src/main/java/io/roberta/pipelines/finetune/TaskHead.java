package io.roberta.pipelines.finetune;

import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.model.Batch;
import io.roberta.engine.model.RobertaForQuestionAnswering;
import io.roberta.engine.model.RobertaForSequenceClassification;
import io.roberta.engine.model.RobertaForTokenClassification;
import io.roberta.engine.model.RobertaTaskModel;
import io.roberta.engine.model.RunMode;
import io.roberta.spec.FinetuneSpec.Head;
import io.roberta.spec.ModelSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * A task model behind one interface for the fine-tuning loop and evaluation: builds batches from
 * {@link Feature}s, runs a training step for the head's loss, and returns raw per-feature scores
 * (class logits, the regression value, per-token logits, or start and end logits).
 *
 * <pre>{@code TaskHead head = TaskHead.fromPretrained(mlmDir, Head.SEQUENCE_CLASSIFICATION, 15, seed, kernels);}</pre>
 */
public final class TaskHead {
  private final Head head;
  private final RobertaTaskModel model;

  private TaskHead(Head head, RobertaTaskModel model) {
    this.head = head;
    this.model = model;
  }

  /** A pretrained encoder (any RoBERTa HF directory or our export) with a new head from {@code seed}. */
  public static TaskHead fromPretrained(Path dir, Head head, int numLabels, long seed, Kernels kernels) throws IOException {
    return new TaskHead(head, switch (head) {
      case SEQUENCE_CLASSIFICATION -> RobertaForSequenceClassification.fromPretrained(dir, numLabels, seed, kernels);
      case REGRESSION -> RobertaForSequenceClassification.fromPretrained(dir, 1, seed, kernels);
      case TOKEN_CLASSIFICATION -> RobertaForTokenClassification.fromPretrained(dir, numLabels, seed, kernels);
      case QUESTION_ANSWERING -> RobertaForQuestionAnswering.fromPretrained(dir, seed, kernels);
    });
  }

  /** Every weight random from {@code seed} (the no-pretraining baseline). */
  public static TaskHead random(ModelSpec spec, Head head, int numLabels, long seed, Kernels kernels) {
    RobertaTaskModel m = switch (head) {
      case SEQUENCE_CLASSIFICATION -> new RobertaForSequenceClassification(spec, numLabels, kernels);
      case REGRESSION -> new RobertaForSequenceClassification(spec, 1, kernels);
      case TOKEN_CLASSIFICATION -> new RobertaForTokenClassification(spec, numLabels, kernels);
      case QUESTION_ANSWERING -> new RobertaForQuestionAnswering(spec, kernels);
    };
    m.initialize(seed);
    return new TaskHead(head, m);
  }

  /** A fine-tuned model saved by {@link RobertaTaskModel#save}. */
  public static TaskHead load(Path dir, Head head, Kernels kernels) throws IOException {
    return new TaskHead(head, switch (head) {
      case SEQUENCE_CLASSIFICATION, REGRESSION -> RobertaForSequenceClassification.load(dir, kernels);
      case TOKEN_CLASSIFICATION -> RobertaForTokenClassification.load(dir, kernels);
      case QUESTION_ANSWERING -> RobertaForQuestionAnswering.load(dir, kernels);
    });
  }

  public Head head() {
    return head;
  }

  public RobertaTaskModel model() {
    return model;
  }

  /** The loss of one batch, accumulating gradients into the model's parameters. */
  public double trainStep(List<Feature> features, RunMode mode) {
    Batch batch = batch(features);
    return switch (head) {
      case SEQUENCE_CLASSIFICATION -> ((RobertaForSequenceClassification) model)
          .forwardBackward(batch, features.stream().mapToInt(Feature::label).toArray(), mode);
      case REGRESSION -> ((RobertaForSequenceClassification) model)
          .forwardBackwardRegression(batch, features.stream().mapToDouble(Feature::target).toArray(), mode);
      case TOKEN_CLASSIFICATION -> ((RobertaForTokenClassification) model)
          .forwardBackward(batch, tokenLabels(features, batch.length()), mode);
      case QUESTION_ANSWERING -> ((RobertaForQuestionAnswering) model).forwardBackward(batch,
          features.stream().mapToInt(Feature::start).toArray(), features.stream().mapToInt(Feature::end).toArray(), mode);
    };
  }

  /**
   * Inference scores per feature: {@code [numLabels]} logits, {@code [1]} value, {@code [len *
   * numLabels]} token logits, or {@code [2 * len]} start then end logits.
   */
  public float[][] scores(List<Feature> features) {
    Batch batch = batch(features);
    Kernels k = model.kernels();
    int t = batch.length();
    float[][] out = new float[features.size()][];
    try (Kernels.Scope scope = k.scope()) {
      switch (head) {
        case SEQUENCE_CLASSIFICATION, REGRESSION -> {
          float[] logits = k.toFloats(((RobertaForSequenceClassification) model).logits(batch)); // [B, L]
          int l = model.numLabels();
          for (int b = 0; b < out.length; b++) {
            out[b] = Arrays.copyOfRange(logits, b * l, (b + 1) * l);
          }
        }
        case TOKEN_CLASSIFICATION -> {
          float[] logits = k.toFloats(((RobertaForTokenClassification) model).logits(batch)); // [B*T, L]
          int l = model.numLabels();
          for (int b = 0; b < out.length; b++) {
            out[b] = Arrays.copyOfRange(logits, b * t * l, (b * t + features.get(b).length()) * l);
          }
        }
        case QUESTION_ANSWERING -> {
          RobertaForQuestionAnswering.Spans s = ((RobertaForQuestionAnswering) model).logits(batch);
          float[] start = k.toFloats(s.start()); // [B, T]
          float[] end = k.toFloats(s.end());
          for (int b = 0; b < out.length; b++) {
            int len = features.get(b).length();
            out[b] = new float[2 * len];
            System.arraycopy(start, b * t, out[b], 0, len);
            System.arraycopy(end, b * t, out[b], len, len);
          }
        }
      }
    }
    return out;
  }

  private Batch batch(List<Feature> features) {
    int[][] ids = new int[features.size()][];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = features.get(i).ids();
    }
    return Batch.pad(ids, model.spec().specialTokens().pad());
  }

  private static int[] tokenLabels(List<Feature> features, int length) {
    int[] labels = new int[features.size() * length];
    Arrays.fill(labels, RobertaTaskModel.IGNORE_INDEX);
    for (int b = 0; b < features.size(); b++) {
      int[] l = features.get(b).tokenLabels();
      System.arraycopy(l, 0, labels, b * length, l.length);
    }
    return labels;
  }
}
