package io.roberta.engine.model;

import io.roberta.engine.io.HfConfig;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Tensor;
import io.roberta.spec.ModelSpec;

/**
 * Multiple choice as HF's {@code RobertaForMultipleChoice}: each (context, choice) pair is one
 * sequence, the pooler (dense + tanh on {@code <s>}, {@code roberta.pooler.dense.*}) then dropout
 * and a one-output linear layer ({@code classifier.*}) score it, the scores of each question's
 * {@code C} sequences form a row of {@code [B, C]}, and the loss is the cross-entropy over the
 * choices. A batch holds {@code B * C} sequences, question by question; the answers {@code [B]}
 * give {@code C}.
 */
public final class MultipleChoiceHead implements Head<int[]> {
  private final int numChoices;
  private final Linear pooler;
  private final Linear classifier;
  private final Dropout dropout;

  /** The {@code <s>} states {@code [B*C, C]}, the pooler's tanh output, and its dropout. */
  private record Pooled(Tensor states, Tensor pooled, Dropout.Cache drop) {}

  MultipleChoiceHead(Parameters params, ModelSpec spec, int numChoices) {
    int c = spec.hiddenSize();
    this.numChoices = numChoices;
    this.pooler = new Linear(params, "roberta.pooler.dense", c, c);
    this.classifier = new Linear(params, "classifier", c, 1);
    this.dropout = new Dropout(spec.hiddenDropout());
  }

  /** {@code numChoices} is what the config records; the loss takes the count from each batch. */
  public static Head.Factory<int[]> factory(int numChoices) {
    if (numChoices < 2) {
      throw new IllegalArgumentException("numChoices = " + numChoices + ": a multiple choice needs at least 2");
    }
    return (params, spec, encoder) -> new MultipleChoiceHead(params, spec, numChoices);
  }

  public String architecture() { return HfConfig.MULTIPLE_CHOICE; }

  public int numLabels() { return numChoices; }

  /** One score per sequence, {@code [B*C, 1]}: row {@code q*C + c} is choice c of question q. */
  public Tensor scores(Kernels k, Encoder.Forward f) {
    return classifier.forward(k, pool(k, f, RunMode.inference()).drop().out());
  }

  public Pass loss(Kernels k, Encoder.Forward f, int[] answers, RunMode mode, boolean backward) {
    int sequences = f.batch().size();
    if (answers.length == 0 || sequences % answers.length != 0) {
      throw new IllegalArgumentException(answers.length + " answers for a batch of " + sequences
          + " sequences: a batch holds every choice of each question (B * C sequences)");
    }
    int choices = sequences / answers.length;
    Pooled p = pool(k, f, mode);
    Tensor logits = classifier.forward(k, p.drop().out()); // [B*C, 1]
    Tensor byQuestion = k.zeros(answers.length, choices); // [B, C]
    k.copy(byQuestion, logits);
    Tensor dByQuestion = backward ? k.zeros(byQuestion.shape()) : null;
    double loss = k.crossEntropy(byQuestion, null, answers, 1.0 / answers.length, dByQuestion);
    if (!backward) {
      return new Pass(loss, null);
    }
    Tensor dLogits = k.zeros(logits.shape());
    k.copy(dLogits, dByQuestion);
    Tensor dPooled = dropout.backward(k, p.drop(), classifier.backward(k, dLogits, p.drop().out()));
    Tensor dh = k.zeros(p.pooled().shape());
    k.tanhBackward(dh, dPooled, p.pooled());
    Tensor dLast = k.zeros(f.last().shape());
    k.scatterAddRows(dLast, pooler.backward(k, dh, p.states()), Head.firstTokenRows(f.batch()));
    return new Pass(loss, dLast);
  }

  private Pooled pool(Kernels k, Encoder.Forward f, RunMode mode) {
    int[] first = Head.firstTokenRows(f.batch());
    Tensor states = k.zeros(first.length, f.last().dim(1));
    k.gatherRows(states, f.last(), first);
    Tensor h = pooler.forward(k, states);
    Tensor pooled = k.zeros(h.shape());
    k.tanhForward(pooled, h);
    return new Pooled(states, pooled, dropout.forward(k, pooled, mode));
  }
}
