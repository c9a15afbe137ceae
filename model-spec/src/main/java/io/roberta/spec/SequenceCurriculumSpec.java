package io.roberta.spec;

/**
 * Short sequences first: for the first {@code steps} optimizer steps, every training block is cut
 * into pieces of {@code pieceLength} tokens that train as separate sequences, each at the positions
 * it has in its block (so every position embedding trains from the start, and attention stays
 * inside a piece); whole blocks train after that. The blocks, the masks and the token budget are
 * the schedule's own: only the attention span changes. BERT trained 90% of its steps on 128-token
 * sequences before 512 for the same reason: attention over a short span costs less, and a small
 * model learns to attend to its neighbours sooner when there are fewer other tokens to spread over.
 *
 * <pre>{@code new SequenceCurriculumSpec(32, 2_000)}</pre>
 */
public record SequenceCurriculumSpec(int pieceLength, int steps) {

  public SequenceCurriculumSpec {
    Checks.positive("pretrain.sequenceCurriculum.pieceLength", pieceLength);
    if (pieceLength < 2) {
      throw Checks.invalid("pretrain.sequenceCurriculum.pieceLength", pieceLength, "must be >= 2");
    }
    Checks.positive("pretrain.sequenceCurriculum.steps", steps);
  }

  /** Whether optimizer step {@code step} (0-based: the step about to be taken) trains on pieces. */
  public boolean appliesTo(long step) {
    return step < steps;
  }

  /**
   * The same curriculum over the same share of a schedule of {@code totalSteps} instead of
   * {@code fromTotalSteps} (at least one step), as a benchmark scales a recipe's schedule.
   */
  public SequenceCurriculumSpec scaledTo(int fromTotalSteps, int totalSteps) {
    Checks.positive("totalSteps", fromTotalSteps);
    return new SequenceCurriculumSpec(pieceLength, (int) Math.max(1, (long) totalSteps * steps / fromTotalSteps));
  }

  /** Checks this against the schedule and the corpus's block length; field names as in the recipe JSON. */
  void checkAgainst(int totalSteps) {
    if (steps > totalSteps) {
      throw Checks.invalid("pretrain.sequenceCurriculum.steps", steps,
          "must be <= pretrain.schedule.totalSteps = " + totalSteps);
    }
  }

  /** Checks that pieces tile a block of {@code blockLength} tokens. */
  public void checkBlockLength(int blockLength) {
    if (pieceLength >= blockLength || blockLength % pieceLength != 0) {
      throw Checks.invalid("pretrain.sequenceCurriculum.pieceLength", pieceLength,
          "must divide corpus.packing.blockLength = " + blockLength + " and be shorter than it (pieces tile a block;"
              + " e.g. " + (blockLength / 4) + " cuts each block into 4)");
    }
  }
}
