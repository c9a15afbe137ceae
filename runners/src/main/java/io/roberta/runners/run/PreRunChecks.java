package io.roberta.runners.run;

import io.roberta.pipelines.stage.Artifacts;

import io.roberta.pipelines.corpus.SourceRegistry;
import io.roberta.pipelines.tasks.TaskCatalog;
import io.roberta.pipelines.tasks.TaskSource;
import io.roberta.runners.help.Suggestions;
import io.roberta.spec.FinetuneSpec;
import io.roberta.spec.Recipe;
import io.roberta.spec.SourceSpec;
import io.roberta.spec.TokenizerSpec;

/**
 * Everything a recipe needs from outside itself, checked before the first stage starts: the
 * corpus sources match readable files, a pretrained tokenizer exists, every fine-tuning task is
 * one this build reads, its data folder exists and holds the files the task's reader needs, and a
 * model to start from is a model folder. {@code roberta run} and {@code roberta validate} both
 * call {@link #check}, so they refuse the same recipes with the same messages; each problem is an
 * {@link IllegalArgumentException} naming the recipe field.
 *
 * <pre>{@code PreRunChecks.check(recipe);}</pre>
 */
public final class PreRunChecks {
  private PreRunChecks() {}

  public static void check(Recipe recipe) {
    TokenizerSpec tokenizer = recipe.tokenizer();
    if (tokenizer != null && !tokenizer.isTrained() && !exists(tokenizer.path())) {
      throw new IllegalArgumentException("tokenizer.path = " + tokenizer.path() + " does not exist");
    }
    if (recipe.corpus() != null) {
      for (SourceSpec s : recipe.corpus().sources()) {
        SourceRegistry.create(s).checkInputs();
      }
    }
    for (FinetuneSpec f : recipe.finetune()) {
      String field = "finetune[" + f.task() + "]";
      if (!TaskSource.names().contains(f.task())) {
        throw new IllegalArgumentException(field + ".task = " + f.task() + " is not a task this build reads"
            + Suggestions.didYouMean(f.task(), TaskSource.names()) + "; known: " + TaskSource.names() + " ("
            + TaskCatalog.SEE + ")");
      }
      if (f.data() == null) {
        throw new IllegalArgumentException(field + ".data is missing: roberta run reads the task's files from it ("
            + TaskCatalog.SEE + ")");
      }
      TaskCatalog.checkFolder(field + ".data", f.task(), f.data());
      if (f.initFrom() != null && !Artifacts.exists(Artifacts.file(Artifacts.dir(f.initFrom()), "config.json"))) {
        throw new IllegalArgumentException(field + ".initFrom = " + f.initFrom() + " is not a model directory (no config.json)");
      }
    }
  }

  /** A file, or a folder holding something, at {@code uri} (any Beam file system). */
  private static boolean exists(String uri) {
    return Artifacts.exists(Artifacts.file(uri)) || !Artifacts.list(Artifacts.dir(uri), "*").isEmpty();
  }
}
