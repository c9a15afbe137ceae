package io.roberta.spec;

/**
 * Fine-tuning on one labelled task. The model starts from the recipe's pretraining result, or
 * from {@code initFrom} (a Hugging Face RoBERTa directory) when that is set. Defaults follow
 * fairseq's GLUE table: lr 1e-5..2e-5, batch 16..32, 10 epochs, 6% warm-up.
 *
 * <p>{@code data} is where the task's files are (a GLUE task folder, a SQuAD folder, the Brown
 * corpus folder); {@code roberta run} needs it, the {@code finetune} command takes it as a flag.
 * {@code trainExamples > 0} fine-tunes on that many training examples drawn with {@code seed}
 * (0: all). {@code randomInitBaseline} also fine-tunes a randomly initialised model of the same
 * shape with the same budget, so the report shows what pretraining bought.
 */
public record FinetuneSpec(
    String task,
    Head head,
    int numLabels,
    int maxSequenceLength,
    int epochs,
    int batchSize,
    double learningRate,
    double warmupRatio,
    OptimizerSpec optimizer,
    long seed,
    String initFrom,
    String data,
    int trainExamples,
    boolean randomInitBaseline) {

  /** The task head on the shared encoder. */
  public enum Head {
    /** One label per sequence (or sentence pair): dense, tanh, projection on {@code <s>}. */
    SEQUENCE_CLASSIFICATION,
    /** One real value per sequence (STS-B): the classification head with one output, MSE loss. */
    REGRESSION,
    /** One label per token (part-of-speech, NER). */
    TOKEN_CLASSIFICATION,
    /** Start and end logits over the context (SQuAD). */
    QUESTION_ANSWERING,
    /** One score per (context, choice) pair, softmax over the choices (RACE); numLabels = choices. */
    MULTIPLE_CHOICE
  }

  public FinetuneSpec {
    Checks.name("finetune.task", task);
    String f = "finetune[" + task + "]";
    Checks.notNull(f + ".head", head);
    Checks.positive(f + ".numLabels", numLabels);
    switch (head) {
      case REGRESSION -> {
        if (numLabels != 1) {
          throw Checks.invalid(f + ".numLabels", numLabels, "must be 1 for a REGRESSION head");
        }
      }
      case QUESTION_ANSWERING -> {
        if (numLabels != 2) {
          throw Checks.invalid(
              f + ".numLabels", numLabels, "must be 2 for a QUESTION_ANSWERING head (start, end)");
        }
      }
      case MULTIPLE_CHOICE -> {
        if (numLabels < 2) {
          throw Checks.invalid(f + ".numLabels", numLabels, "is the number of choices of a MULTIPLE_CHOICE head: >= 2");
        }
      }
      case SEQUENCE_CLASSIFICATION, TOKEN_CLASSIFICATION -> {
        if (numLabels < 2) {
          throw Checks.invalid(f + ".numLabels", numLabels, "must be >= 2 for a " + head + " head");
        }
      }
    }
    Checks.positive(f + ".maxSequenceLength", maxSequenceLength);
    Checks.positive(f + ".epochs", epochs);
    Checks.positive(f + ".batchSize", batchSize);
    Checks.positive(f + ".learningRate", learningRate);
    Checks.fractionBelowOne(f + ".warmupRatio", warmupRatio);
    Checks.notNull(f + ".optimizer", optimizer);
    if (initFrom != null) {
      Checks.nonBlank(f + ".initFrom", initFrom);
    }
    if (data != null) {
      Checks.nonBlank(f + ".data", data);
    }
    if (trainExamples < 0) {
      throw Checks.invalid(f + ".trainExamples", trainExamples, "must be >= 0 (0 trains on every example)");
    }
  }
}
