package io.roberta.runners.cli;

import io.roberta.engine.fillmask.FillMask;
import io.roberta.engine.io.ModelFileException;
import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Nd4jKernels;
import io.roberta.engine.model.RobertaForMaskedLM;
import io.roberta.engine.tokenizer.RobertaTokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code roberta fill-mask --model DIR [--top-k K] "text with <mask>"}. */
@Command(
    name = "fill-mask",
    mixinStandardHelpOptions = true,
    description = {"Predict the tokens behind each <mask> in a text.",
        "Prints, for every <mask>, the top-k tokens with their probabilities."})
public final class FillMaskCommand implements Callable<Integer> {

  @Option(names = "--model", required = true, paramLabel = "DIR",
      description = "Model directory: config.json, model.safetensors (and tokenizer.json unless --tokenizer).")
  Path model;

  @Option(names = "--tokenizer", paramLabel = "PATH",
      description = "tokenizer.json or a directory holding it (default: the model directory).")
  Path tokenizer;

  @Option(names = "--top-k", paramLabel = "K", defaultValue = "5",
      description = "Candidates per mask (default: ${DEFAULT-VALUE}).")
  int topK;

  @Parameters(index = "0", paramLabel = "TEXT", description = "Text containing <mask> at least once.")
  String text;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    if (topK < 1) {
      throw new UserError("--top-k must be at least 1, got " + topK);
    }
    if (!Files.isRegularFile(model.resolve("config.json"))) {
      throw new UserError(model + " is not a model directory: it has no config.json");
    }
    Path tokenizerPath = tokenizer == null ? model : tokenizer;
    if (!Files.exists(tokenizerPath.resolve(RobertaTokenizer.TOKENIZER_JSON))
        && !Files.exists(tokenizerPath.resolve(io.roberta.engine.io.XlmRobertaFiles.SENTENCEPIECE_MODEL))
        && !Files.isRegularFile(tokenizerPath)) {
      throw new UserError("no tokenizer.json or " + io.roberta.engine.io.XlmRobertaFiles.SENTENCEPIECE_MODEL + " in "
          + tokenizerPath + " (pass --tokenizer)");
    }
    if (!text.contains(FillMask.MASK)) {
      throw new UserError("the text has no " + FillMask.MASK + ": \"" + text + "\"");
    }
    try (Nd4jKernels kernels = new Nd4jKernels(KernelPrecision.FP32)) {
      return fillMask(kernels, tokenizerPath);
    }
  }

  private int fillMask(Nd4jKernels kernels, Path tokenizerPath) throws IOException {
    RobertaForMaskedLM network;
    try {
      network = RobertaForMaskedLM.loadForInference(model, kernels);
    } catch (ModelFileException e) {
      throw new UserError(e.getMessage(), e);
    }
    PrintWriter out = spec.commandLine().getOut();
    RobertaTokenizer tokenizer;
    try {
      tokenizer = RobertaTokenizer.load(tokenizerPath);
    } catch (RuntimeException e) {
      network.close();
      throw e;
    }
    try (FillMask fill = new FillMask(network, tokenizer)) { // frees the model and the tokenizer
      List<List<FillMask.Prediction>> masks = fill.predict(text, topK);
      for (int m = 0; m < masks.size(); m++) {
        if (masks.size() > 1) {
          out.printf("mask %d:%n", m + 1);
        }
        for (FillMask.Prediction p : masks.get(m)) {
          out.printf(Locale.ROOT, "%8.4f  %-20s (id %d)%n", p.probability(),
              "\"" + p.token() + "\"", p.tokenId());
        }
      }
    }
    out.flush();
    return 0;
  }
}
