package io.roberta.pipelines.finetune;

import io.roberta.engine.model.Batch;
import io.roberta.engine.model.ClassificationHead;
import io.roberta.engine.model.Head;
import io.roberta.engine.model.MultipleChoiceHead;
import io.roberta.engine.model.RegressionHead;
import io.roberta.engine.model.RobertaTaskModel;
import io.roberta.engine.model.SpanHead;
import io.roberta.engine.model.TokenClassificationHead;
import io.roberta.spec.FinetuneSpec;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * How one kind of task head meets features: which engine head it is, the batch and the targets a
 * list of {@link Feature}s makes, and how the head's scores split back into one array per
 * feature. One small class per kind, bound to the spec's {@link FinetuneSpec.Head} in {@link #of}.
 *
 * @param <T> the head's targets
 */
abstract class HeadKind<T> {
  private static final Map<FinetuneSpec.Head, HeadKind<?>> KINDS = new EnumMap<>(Map.of(
      FinetuneSpec.Head.SEQUENCE_CLASSIFICATION, new SequenceLabels(),
      FinetuneSpec.Head.REGRESSION, new Regression(),
      FinetuneSpec.Head.TOKEN_CLASSIFICATION, new TokenLabels(),
      FinetuneSpec.Head.QUESTION_ANSWERING, new Spans(),
      FinetuneSpec.Head.MULTIPLE_CHOICE, new Choices()));

  static HeadKind<?> of(FinetuneSpec.Head head) {
    HeadKind<?> kind = KINDS.get(head);
    if (kind == null) {
      throw new IllegalArgumentException("no task head of kind " + head);
    }
    return kind;
  }

  /** The engine's head for {@code numLabels} labels (classes, tags, choices). */
  abstract Head.Factory<T> factory(int numLabels);

  abstract T targets(List<Feature> features, Batch batch);

  /** Splits the head's scores (row-major, host copy) of {@code batch} into one array per feature. */
  abstract float[][] split(float[] scores, List<Feature> features, Batch batch, int numLabels);

  /**
   * Padded lengths are multiples of this: sentences of every length then make a few batch shapes
   * (see {@link Batch#pad(int[][], int, int)}).
   */
  static final int PAD_MULTIPLE = 8;

  /** The batch of the features' sequences, right-padded to a multiple of {@link #PAD_MULTIPLE}. */
  Batch batch(List<Feature> features, int pad) {
    return Batch.pad(features.stream().map(Feature::ids).toArray(int[][]::new), pad, PAD_MULTIPLE);
  }

  /** Rows of {@code width} scores, one per feature. */
  static float[][] rows(float[] scores, int n, int width) {
    float[][] out = new float[n][];
    for (int b = 0; b < n; b++) {
      out[b] = Arrays.copyOfRange(scores, b * width, (b + 1) * width);
    }
    return out;
  }

  /** Class logits {@code [numLabels]} per feature. */
  static final class SequenceLabels extends HeadKind<int[]> {
    Head.Factory<int[]> factory(int numLabels) { return ClassificationHead.factory(numLabels); }

    int[] targets(List<Feature> features, Batch batch) { return features.stream().mapToInt(Feature::label).toArray(); }

    float[][] split(float[] scores, List<Feature> features, Batch batch, int numLabels) {
      return rows(scores, features.size(), numLabels);
    }
  }

  /** The value {@code [1]} per feature. */
  static final class Regression extends HeadKind<double[]> {
    Head.Factory<double[]> factory(int numLabels) { return RegressionHead.factory(); }

    double[] targets(List<Feature> features, Batch batch) { return features.stream().mapToDouble(Feature::target).toArray(); }

    float[][] split(float[] scores, List<Feature> features, Batch batch, int numLabels) {
      return rows(scores, features.size(), 1);
    }
  }

  /** Token logits {@code [len * numLabels]} per feature (its own tokens, not the padding). */
  static final class TokenLabels extends HeadKind<int[]> {
    Head.Factory<int[]> factory(int numLabels) { return TokenClassificationHead.factory(numLabels); }

    int[] targets(List<Feature> features, Batch batch) {
      int[] labels = new int[batch.rows()];
      Arrays.fill(labels, RobertaTaskModel.IGNORE_INDEX);
      for (int b = 0; b < features.size(); b++) {
        int[] l = features.get(b).tokenLabels();
        System.arraycopy(l, 0, labels, b * batch.length(), l.length);
      }
      return labels;
    }

    float[][] split(float[] scores, List<Feature> features, Batch batch, int numLabels) {
      float[][] out = new float[features.size()][];
      for (int b = 0; b < out.length; b++) {
        int from = b * batch.length() * numLabels;
        out[b] = Arrays.copyOfRange(scores, from, from + features.get(b).length() * numLabels);
      }
      return out;
    }
  }

  /** Start then end logits {@code [2 * len]} per feature. */
  static final class Spans extends HeadKind<SpanHead.Answers> {
    Head.Factory<SpanHead.Answers> factory(int numLabels) { return SpanHead.factory(); }

    SpanHead.Answers targets(List<Feature> features, Batch batch) {
      return new SpanHead.Answers(features.stream().mapToInt(Feature::start).toArray(),
          features.stream().mapToInt(Feature::end).toArray());
    }

    float[][] split(float[] scores, List<Feature> features, Batch batch, int numLabels) {
      float[][] out = new float[features.size()][]; // scores [B*T, 2]: start, end per token
      for (int b = 0; b < out.length; b++) {
        int len = features.get(b).length();
        out[b] = new float[2 * len];
        for (int t = 0; t < len; t++) {
          int row = b * batch.length() + t;
          out[b][t] = scores[2 * row];
          out[b][len + t] = scores[2 * row + 1];
        }
      }
      return out;
    }
  }

  /** One score per choice {@code [C]}; the batch holds every choice of each feature in turn. */
  static final class Choices extends HeadKind<int[]> {
    Head.Factory<int[]> factory(int numLabels) { return MultipleChoiceHead.factory(numLabels); }

    @Override
    Batch batch(List<Feature> features, int pad) {
      int c = features.get(0).choices().length;
      for (Feature f : features) {
        if (f.choices().length != c) {
          throw new IllegalArgumentException("a batch mixes questions of " + c + " and " + f.choices().length
              + " choices (example " + f.exampleIndex() + "); every question of a task needs the same count");
        }
      }
      return Batch.pad(features.stream().flatMap(f -> Arrays.stream(f.choices())).toArray(int[][]::new), pad,
          PAD_MULTIPLE);
    }

    int[] targets(List<Feature> features, Batch batch) { return features.stream().mapToInt(Feature::label).toArray(); }

    float[][] split(float[] scores, List<Feature> features, Batch batch, int numLabels) {
      return rows(scores, features.size(), batch.size() / features.size());
    }
  }
}
