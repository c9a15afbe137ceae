package io.roberta.runners.cli;

import io.roberta.engine.io.ModelFileException;
import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Nd4jKernels;
import io.roberta.engine.parity.HfParity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code roberta parity <dir>}: runs a Hugging Face fixture ({@code mlm/}, optional {@code cls/},
 * {@code reference.safetensors}, {@code reference.json}) through the engine and prints the worst
 * error of each group against its tolerance; exit status 0 only when every group passes.
 */
@Command(
    name = "parity",
    mixinStandardHelpOptions = true,
    description = {"Compare the engine with a Hugging Face fixture.",
        "Prints the worst error per group (hidden states, logits, loss, gradients, AdamW step, "
            + "classification logits); exit status 0 only when all pass."})
public final class ParityCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "DIR",
      description = "A fixture directory: mlm/, optional cls/, reference.safetensors, reference.json.")
  Path dir;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    for (String required : new String[] {"mlm", "reference.safetensors", "reference.json"}) {
      if (!Files.exists(dir.resolve(required))) {
        throw new UserError(dir + " is not a parity fixture: it has no " + required);
      }
    }
    HfParity.Report report;
    try (Nd4jKernels kernels = new Nd4jKernels(KernelPrecision.FP32)) {
      report = HfParity.run(dir, kernels);
    } catch (ModelFileException e) {
      throw new UserError(e.getMessage(), e);
    }
    spec.commandLine().getOut().print(report);
    spec.commandLine().getOut().flush();
    return report.passed() ? 0 : 1;
  }
}
