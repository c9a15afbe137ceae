package io.roberta.runners.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.runners.cli.SampleRecipe;
import io.roberta.spec.Recipe;
import io.roberta.spec.plan.Plan;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;

class JobNamesTest {
  private static final String DATAFLOW_JOB_NAME = "[a-z]([-a-z0-9]*[a-z0-9])?";

  @Test
  void eachStageGetsRecipeStageAndFingerprint() {
    Recipe recipe = new SampleRecipe().get();
    Plan plan = Plan.compile(recipe);
    PipelineOptions options = PipelineOptionsFactory.create();
    JobNames.set(options, recipe, plan, "corpus");
    String corpus = options.getJobName();
    assertEquals("sample-corpus-" + plan.stage("corpus").orElseThrow().fingerprint().substring(0, 12), corpus);
    JobNames.set(options, recipe, plan, "pretrain");
    assertNotEquals(corpus, options.getJobName());
    assertTrue(options.getJobName().startsWith("sample-pretrain-"), options.getJobName());
  }

  @Test
  void namesAreValidDataflowJobNames() {
    assertEquals("my-recipe-v2-finetune-sst2-0123456789ab", JobNames.name("My_Recipe.v2", "finetune-sst2", "0123456789abcdef"));
    assertEquals("r-1st-eval-abc", JobNames.name("1st", "eval", "abc"));
    assertTrue(JobNames.name("a__b..", "corpus", "ff00").matches(DATAFLOW_JOB_NAME));
  }
}
