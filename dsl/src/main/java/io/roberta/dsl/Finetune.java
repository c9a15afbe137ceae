package io.roberta.dsl;

import io.roberta.spec.Checks;
import io.roberta.spec.FinetuneSpec;
import io.roberta.spec.FinetuneSpec.Head;
import io.roberta.spec.OptimizerSpec;

/**
 * Fine-tuning tasks. Defaults follow fairseq's GLUE table: lr 1e-5, batch 16, 10 epochs, 6%
 * warm-up, Adam β (0.9, 0.98), ε 1e-6, weight decay 0.1, sequences up to 512 tokens.
 *
 * <pre>{@code
 * Finetune.classification("brown-genre", 15).epochs(3).learningRate(2e-5).maxSequenceLength(128)
 * Finetune.questionAnswering("squad").initFrom("models/roberta-base")
 * }</pre>
 */
public final class Finetune {
  private final String task;
  private final Head head;
  private final int numLabels;
  private int maxSequenceLength = 512;
  private int epochs = 10;
  private int batchSize = 16;
  private double learningRate = 1e-5;
  private double warmupRatio = 0.06;
  private OptimizerSpec optimizer = OptimizerSpec.robertaFinetuning();
  private long seed = 1;
  private String initFrom;
  private String data;
  private int trainExamples;
  private boolean randomInitBaseline;

  private Finetune(String task, Head head, int numLabels) {
    this.task = Checks.name("finetune.task", task);
    this.head = head;
    this.numLabels = numLabels;
  }

  /** Single sentences or sentence pairs, {@code numLabels} classes. */
  public static Finetune classification(String task, int numLabels) {
    return new Finetune(task, Head.SEQUENCE_CLASSIFICATION, numLabels);
  }

  /** One real-valued score per example (STS-B). */
  public static Finetune regression(String task) {
    return new Finetune(task, Head.REGRESSION, 1);
  }

  /** One of {@code numLabels} tags per token (part of speech, named entities). */
  public static Finetune tokenClassification(String task, int numLabels) {
    return new Finetune(task, Head.TOKEN_CLASSIFICATION, numLabels);
  }

  /** Extractive QA: start and end of the answer span. */
  public static Finetune questionAnswering(String task) {
    return new Finetune(task, Head.QUESTION_ANSWERING, 2);
  }

  /** One of {@code numChoices} answers per question, each (context, choice) pair scored (RACE: 4). */
  public static Finetune multipleChoice(String task, int numChoices) {
    return new Finetune(task, Head.MULTIPLE_CHOICE, numChoices);
  }

  /**
   * RACE with fairseq's hyper-parameters ({@code examples/roberta/README.race.md}): 4 choices,
   * lr 1e-5, 5 epochs, sequences up to 512 tokens, Adam (0.9, 0.98), eps 1e-6, weight decay 0.01,
   * no clipping; batch 16 as the RoBERTa paper's RACE table. fairseq keeps the rate fixed; here the
   * schedule decays linearly after a 6% warm-up, as every fine-tuning of this project does.
   */
  public static Finetune race() {
    return multipleChoice("race", 4).learningRate(1e-5).epochs(5).batchSize(16).maxSequenceLength(512)
        .optimizer(new OptimizerSpec(0.9, 0.98, 1e-6, 0.01, 0.0));
  }

  public Finetune maxSequenceLength(int tokens) {
    this.maxSequenceLength = Checks.positive("finetune.maxSequenceLength", tokens);
    return this;
  }

  public Finetune epochs(int epochs) {
    this.epochs = Checks.positive("finetune.epochs", epochs);
    return this;
  }

  public Finetune batchSize(int batchSize) {
    this.batchSize = Checks.positive("finetune.batchSize", batchSize);
    return this;
  }

  public Finetune learningRate(double lr) {
    this.learningRate = Checks.positive("finetune.learningRate", lr);
    return this;
  }

  public Finetune warmupRatio(double ratio) {
    this.warmupRatio = Checks.fractionBelowOne("finetune.warmupRatio", ratio);
    return this;
  }

  public Finetune optimizer(OptimizerSpec optimizer) {
    this.optimizer = Checks.notNull("finetune.optimizer", optimizer);
    return this;
  }

  public Finetune seed(long seed) {
    this.seed = seed;
    return this;
  }

  /** Start from a Hugging Face RoBERTa directory instead of the recipe's pretraining result. */
  public Finetune initFrom(String hfModelDir) {
    this.initFrom = Checks.nonBlank("finetune.initFrom", hfModelDir);
    return this;
  }

  /** Where the task's files are: a GLUE task folder, a SQuAD folder, the Brown corpus folder. */
  public Finetune data(String path) {
    this.data = Checks.nonBlank("finetune.data", path);
    return this;
  }

  /** Fine-tune on this many training examples drawn with the seed instead of all of them. */
  public Finetune trainExamples(int examples) {
    this.trainExamples = Checks.positive("finetune.trainExamples", examples);
    return this;
  }

  /**
   * Also fine-tune a randomly initialised model of the same shape, tokenizer and budget, and
   * report its scores beside the pretrained model's.
   */
  public Finetune withRandomInitBaseline() {
    this.randomInitBaseline = true;
    return this;
  }

  public FinetuneSpec build() {
    return new FinetuneSpec(
        task, head, numLabels, maxSequenceLength, epochs, batchSize, learningRate, warmupRatio, optimizer, seed, initFrom,
        data, trainExamples, randomInitBaseline);
  }
}
