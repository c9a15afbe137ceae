package io.roberta.runners.run;

import io.roberta.spec.Recipe;
import io.roberta.spec.plan.Plan;
import io.roberta.spec.plan.Stage;
import java.util.Locale;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Names each stage's Beam job {@code <recipe>-<stage>-<fingerprint12>}, so jobs on a Flink
 * cluster's dashboard or in the Dataflow console can be told apart and traced to their folder
 * ({@code <workDir>/<recipe>/<stage>/<fingerprint>/}). Lower case, digits and dashes only: the
 * form Dataflow accepts ({@code [a-z]([-a-z0-9]*[a-z0-9])?}); Flink takes any name.
 *
 * <pre>{@code JobNames.set(options, recipe, plan, "corpus");   // tiny-brown-corpus-1a2b3c4d5e6f}</pre>
 */
public final class JobNames {
  private JobNames() {}

  /** Sets the job name of the stage the plan calls {@code stage} (its folder name). */
  public static void set(PipelineOptions options, Recipe recipe, Plan plan, String stage) {
    set(options, recipe.name(), plan.stage(stage).orElseThrow(() -> new IllegalArgumentException(
        "the plan of " + recipe.name() + " has no stage " + stage)));
  }

  public static void set(PipelineOptions options, String recipe, Stage stage) {
    options.setJobName(name(recipe, stage.directory(), stage.fingerprint()));
  }

  public static String name(String recipe, String stage, String fingerprint) {
    String raw = recipe + "-" + stage + "-" + fingerprint.substring(0, Math.min(12, fingerprint.length()));
    String name = raw.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]+", "-").replaceAll("-{2,}", "-");
    if (!Character.isLetter(name.charAt(0))) {
      name = "r-" + name;
    }
    return name.replaceAll("-+$", "");
  }
}
