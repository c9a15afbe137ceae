package io.roberta.runners.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.roberta.runners.plan.JobDescription;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code roberta plan-job <recipe> --runner=DataflowRunner ... --out FILE}: every stage's job as
 * the runner would get it (options and the portable pipeline proto, as JSON), built and checked
 * but not run. The offline stand-in for a Dataflow job file.
 *
 * <pre>{@code
 * roberta plan-job TinyBrown --runner=DataflowRunner --project=my-project --region=us-central1 \
 *     --tempLocation=gs://my-bucket/tmp --work-dir=gs://my-bucket/roberta --workerMachineType=n2-standard-8 \
 *     --trainingMachineType=g2-standard-8 --trainingAccelerator="type:nvidia-l4;count:1;install-nvidia-driver" --out job.json
 * }</pre>
 */
@Command(
    name = "plan-job",
    mixinStandardHelpOptions = true,
    description = {
      "Describe a recipe's stage jobs without running them: options and Beam pipeline (portable proto) per stage, as JSON.",
      "Beam options (--runner, --project, --region, --tempLocation, --workerMachineType, --trainingMachineType,"
          + " --trainingAccelerator, --workDir, ...) are checked as a run would check them."
    })
public final class PlanJobCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "RECIPE", description = "A recipe JSON file, a Supplier<Recipe> class, or an example name (TinyBrown).")
  String recipe;

  @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE", description = "Where to write the job description (JSON).")
  Path out;

  @Option(names = "--work-dir", description = "Where the stages will write (gs://... on Dataflow); default: Beam's --workDir, else work.")
  String workDir;

  @Option(names = "--planned-only", description = "Describe every stage as not run yet and read nothing from the work dir"
      + " (on gs:// reading needs credentials and the network).")
  boolean plannedOnly;

  @Unmatched List<String> beamArgs = new ArrayList<>();

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    JobDescription description = JobDescription.of(RecipeLoader.load(recipe), beamArgs, workDir, plannedOnly);
    description.write(out.toString());
    PrintWriter err = spec.commandLine().getErr();
    for (JsonNode s : description.toJson().path("stages")) {
      err.printf(Locale.ROOT, "%-9s %s  %s%s%n", s.path("stage").asText(), s.path("fingerprint").asText(),
          s.path("pipeline").isNull() ? "(not yet: " + s.path("note").asText() + ")"
              : s.path("pipeline").path("components").path("transforms").size() + " transforms",
          s.path("acceleratorTransforms").isEmpty() ? "" : ", accelerator on " + s.path("acceleratorTransforms").get(0).path("transform").asText());
    }
    err.printf("wrote %s (%s)%n", out, description.runner());
    err.flush();
    return 0;
  }
}
