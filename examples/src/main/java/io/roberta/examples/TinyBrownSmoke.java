package io.roberta.examples;

import io.roberta.spec.Recipe;
import java.util.function.Supplier;

/**
 * The main example cut short for CI: the same model, tokenizer and corpus as {@link TinyBrown}
 * (the same stage fingerprints up to pretraining), a schedule of 300 steps.
 *
 * <pre>{@code ./roberta pretrain TinyBrownSmoke}</pre>
 */
public final class TinyBrownSmoke implements Supplier<Recipe> {
  public static final int STEPS = 300;

  @Override
  public Recipe get() {
    return TinyBrown.recipe("tiny-brown", STEPS);
  }
}
