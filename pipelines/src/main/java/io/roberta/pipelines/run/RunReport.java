package io.roberta.pipelines.run;

import com.fasterxml.jackson.databind.JsonNode;
import io.roberta.pipelines.eval.EvalStage;
import io.roberta.spec.Recipe;
import io.roberta.spec.plan.Plan;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import io.roberta.pipelines.stage.Artifacts;
import org.apache.beam.sdk.io.fs.ResourceId;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The summary of a whole {@code roberta run}: {@code report.md} in {@code <workDir>/<recipe>/}
 * with the stages (folder, ran or skipped, seconds), the corpus counts, the pretraining result
 * (linking its {@code loss.png}), every fine-tuning (linking {@code finetune-loss.png}) and every
 * evaluation score, each task beside its random-init baseline when the recipe trains one
 * ({@code scores.png}).
 *
 * <pre>{@code String md = RunReport.write(recipe, reportDir, stages, corpusManifest, pretrainManifest, finetunes, evalManifest);}</pre>
 */
public final class RunReport {
  public static final String FILE = "report.md";
  public static final String SCORES_PNG = "scores.png";
  public static final String FINETUNE_LOSS_PNG = "finetune-loss.png";

  /** One stage of the run as it went. */
  public record StageRun(String name, String directory, boolean skipped, double seconds) {}

  private static final Color[] PALETTE = {
    new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0x9467bd), new Color(0xff7f0e), new Color(0x8c564b)
  };

  private RunReport() {}

  /** A metric as people read it: counts without decimals, scores with four, NaN or null as "undefined". */
  public static String format(JsonNode value) {
    if (value == null || value.isNull() || !Double.isFinite(value.asDouble())) {
      return "undefined";
    }
    double v = value.asDouble();
    return v == Math.rint(v) && Math.abs(v) >= 2 ? String.format(Locale.ROOT, "%,d", (long) v) : String.format(Locale.ROOT, "%.4f", v);
  }

  /**
   * Writes the report (and its plots) into {@code dir}; any of the manifests may be null when the
   * recipe has no such stage. {@code finetunes} maps a fine-tuning stage's label ({@code <task>}
   * or {@code <task>-random-init}) to its manifest and folder.
   */
  public static String write(
      Recipe recipe, ResourceId dir, List<StageRun> stages, JsonNode corpus, JsonNode pretrain, String pretrainDir,
      Map<String, Finetuned> finetunes, JsonNode eval) {
    System.setProperty("java.awt.headless", "true");
    StringBuilder md = new StringBuilder();
    md.append("# Run report: ").append(recipe.name()).append("\n\n");
    md.append("Recipe fingerprint `").append(Plan.compile(recipe).fingerprint(), 0, 12).append("`; model ")
        .append(String.format(Locale.ROOT, "%,d", recipe.model().parameterCount())).append(" parameters (hidden ")
        .append(recipe.model().hiddenSize()).append(", ").append(recipe.model().numLayers()).append(" layers).\n\n");

    md.append("## Stages\n\n| stage | folder | status | seconds |\n|---|---|---|---|\n");
    for (StageRun s : stages) {
      md.append(String.format(Locale.ROOT, "| %s | `%s` | %s | %.1f |%n", s.name(), relative(dir, s.directory()),
          s.skipped() ? "skipped (same fingerprint, already done)" : "ran", s.seconds()));
    }
    md.append('\n');

    if (corpus != null) {
      corpusSection(md, corpus);
    }
    if (pretrain != null) {
      pretrainSection(md, dir, pretrain, pretrainDir);
    }
    if (!finetunes.isEmpty()) {
      finetuneSection(md, dir, finetunes);
    }
    if (eval != null) {
      evalSection(md, dir, eval);
    }
    Artifacts.write(dir, FILE, md.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return Artifacts.uri(Artifacts.file(dir, FILE));
  }

  /** A fine-tuning stage's manifest, its folder, and its loss per step. */
  public record Finetuned(JsonNode manifest, String directory, List<Double> losses) {
    public Finetuned {
      losses = List.copyOf(losses);
    }

    /** Reads {@code metrics.jsonl} ({"step":..,"loss":..} per line) from the stage folder. */
    public static Finetuned read(JsonNode manifest, String directory) {
      List<Double> losses = new ArrayList<>();
      ResourceId metrics = Artifacts.file(Artifacts.dir(directory), "metrics.jsonl");
      if (Artifacts.exists(metrics)) {
        String text = new String(Artifacts.read(metrics), java.nio.charset.StandardCharsets.UTF_8);
        for (String line : text.split("\n")) {
          int at = line.indexOf("\"loss\":");
          if (at >= 0) {
            losses.add(Double.parseDouble(line.substring(at + 7, line.lastIndexOf('}')).trim()));
          }
        }
      }
      return new Finetuned(manifest, directory, losses);
    }
  }

  private static void corpusSection(StringBuilder md, JsonNode corpus) {
    JsonNode docs = corpus.path("documents");
    md.append("## Corpus\n\n");
    md.append(String.format(Locale.ROOT, "%,d documents read (%,d bytes), %,d kept, %,d duplicates, %,d dropped.%n%n",
        docs.path("read").asLong(), docs.path("bytes").asLong(), docs.path("kept").asLong(),
        docs.path("duplicates").asLong(), docs.path("droppedTotal").asLong()));
    md.append("| source | read | kept | duplicates | dropped |\n|---|---|---|---|---|\n");
    for (Iterator<Map.Entry<String, JsonNode>> it = corpus.path("sources").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> s = it.next();
      long dropped = 0;
      for (JsonNode d : s.getValue().path("dropped")) {
        dropped += d.asLong();
      }
      md.append(String.format(Locale.ROOT, "| %s | %,d | %,d | %,d | %,d |%n", s.getKey(), s.getValue().path("read").asLong(),
          s.getValue().path("kept").asLong(), s.getValue().path("duplicates").asLong(), dropped));
    }
    md.append("\n| split | documents | tokens | blocks of ").append(corpus.path("format").path("blockLength").asInt())
        .append(" |\n|---|---|---|---|\n");
    for (String split : List.of("train", "holdout")) {
      JsonNode s = corpus.path("splits").path(split);
      md.append(String.format(Locale.ROOT, "| %s | %,d | %,d | %,d |%n", split, s.path("documents").asLong(),
          s.path("tokens").asLong(), s.path("blocks").asLong()));
    }
    md.append('\n');
  }

  private static void pretrainSection(StringBuilder md, ResourceId dir, JsonNode pretrain, String pretrainDir) {
    JsonNode r = pretrain.has("result") ? pretrain.path("result") : pretrain;
    md.append("## Pretraining\n\n");
    md.append(String.format(Locale.ROOT, "%d of %d optimizer steps; final training loss %.4f.%n%n",
        pretrain.path("steps").asLong(), pretrain.path("totalSteps").asLong(), r.path("finalTrainingLoss").asDouble()));
    if (r.has("holdoutAccuracy")) {
      md.append(String.format(Locale.ROOT,
          "Holdout (fixed masks, %,d masked tokens): loss %.4f (untrained %.4f), masked-token accuracy %.4f vs %.4f for"
              + " the best constant guess.%n%n",
          r.path("holdoutMaskedTokens").asLong(), r.path("holdoutLoss").asDouble(),
          r.path("untrainedHoldoutLoss").asDouble(Double.NaN), r.path("holdoutAccuracy").asDouble(),
          r.path("baselineAccuracy").asDouble()));
      if (r.has("holdoutAccuracyAtMask")) {
        md.append(String.format(Locale.ROOT,
            "Of those, the %,d whose input was `<mask>` (not the 10%% kept or the 10%% replaced by a random token):"
                + " accuracy %.4f. Over all masked tokens, copying the kept ones and guessing the commonest token"
                + " elsewhere scores about 0.1 + 0.9 x the constant guess; context shows here.%n%n",
            r.path("holdoutMaskInputs").asLong(), r.path("holdoutAccuracyAtMask").asDouble()));
      }
    }
    JsonNode rounds = r.path("rounds");
    if (rounds.isObject()) {
      md.append(String.format(Locale.ROOT,
          "Trained by %d workers in %d rounds of %d inner steps (DiLoCo; outer SGD lr %s, momentum %s%s). Each round"
              + " moved %,d bytes (FP32 parameters to and from every worker); per-step all-reduce would have moved"
              + " %,d.%n%n",
          rounds.path("workers").asInt(), rounds.path("rounds").asInt(), rounds.path("roundSteps").asInt(),
          rounds.path("outerLearningRate").asText() + (rounds.has("outerWarmupRounds")
              ? " reached over " + rounds.path("outerWarmupRounds").asInt() + " rounds from 1" : ""),
          rounds.path("outerMomentum").asText(),
          rounds.path("nesterov").asBoolean() ? ", Nesterov" : "", rounds.path("bytesPerRound").asLong(),
          rounds.path("allReduceBytesPerRound").asLong()));
      md.append("| round | steps to | inner loss | holdout loss (outer) | seconds | tokens/s |\n|---|---|---|---|---|---|\n");
      for (JsonNode h : rounds.path("history")) {
        if (h.path("round").asInt() == 0) {
          continue;
        }
        md.append(String.format(Locale.ROOT, "| %d | %d | %.4f | %s | %.1f | %,.0f |%n", h.path("round").asInt(),
            h.path("endStep").asLong(), h.path("innerLoss").asDouble(),
            h.has("holdoutLoss") ? String.format(Locale.ROOT, "%.4f", h.path("holdoutLoss").asDouble()) : "-",
            h.path(h.has("wallSeconds") ? "wallSeconds" : "seconds").asDouble(), h.path("tokensPerSecond").asDouble()));
      }
      md.append('\n');
    }
    md.append("![pretraining loss](").append(relative(dir, pretrainDir + "/loss.png")).append(")\n\n");
    md.append("Hugging Face model: `").append(relative(dir, pretrainDir + "/hf")).append("`\n\n");
  }

  private static void finetuneSection(StringBuilder md, ResourceId dir, Map<String, Finetuned> finetunes) {
    md.append("## Fine-tuning\n\n| model | init | examples | steps | loss first 10 -> last 10 | seconds | folder |\n"
        + "|---|---|---|---|---|---|---|\n");
    XYSeriesCollection curves = new XYSeriesCollection();
    for (Map.Entry<String, Finetuned> e : finetunes.entrySet()) {
      JsonNode m = e.getValue().manifest();
      JsonNode r = m.path("result");
      List<Double> losses = e.getValue().losses();
      md.append(String.format(Locale.ROOT, "| %s | %s | %,d | %,d | %.4f -> %.4f | %.1f | `%s` |%n", e.getKey(),
          m.path("init").asText().equals("random") ? "random" : "pretrained", r.path("examples").asLong(),
          r.path("steps").asLong(), mean(losses, true), mean(losses, false), r.path("seconds").asDouble(),
          relative(dir, e.getValue().directory() + "/hf")));
      XYSeries s = new XYSeries(e.getKey());
      int window = Math.max(1, losses.size() / 50);
      for (int i = window - 1; i < losses.size(); i += window) {
        double sum = 0;
        for (int j = i - window + 1; j <= i; j++) {
          sum += losses.get(j);
        }
        s.add(i + 1, sum / window);
      }
      curves.addSeries(s);
    }
    md.append("\n![fine-tuning loss](").append(FINETUNE_LOSS_PNG).append(")\n\n");
    // One colour per task; the random-init baseline dashed in its task's colour.
    XYLineAndShapeRenderer lines = new XYLineAndShapeRenderer(true, false);
    List<String> tasks = new ArrayList<>();
    for (int i = 0; i < curves.getSeriesCount(); i++) {
      String key = curves.getSeriesKey(i).toString();
      boolean baseline = key.endsWith(EvalStage.BASELINE_SUFFIX);
      String task = baseline ? key.substring(0, key.length() - EvalStage.BASELINE_SUFFIX.length()) : key;
      if (!tasks.contains(task)) {
        tasks.add(task);
      }
      lines.setSeriesPaint(i, PALETTE[tasks.indexOf(task) % PALETTE.length]);
      lines.setSeriesStroke(i, baseline
          ? new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f)
          : new BasicStroke(1.5f));
    }
    NumberAxis loss = new NumberAxis("training loss (mean over a window of steps)");
    loss.setAutoRangeIncludesZero(false);
    XYPlot plot = new XYPlot(curves, new NumberAxis("fine-tuning step"), loss, lines);
    save(plot(new JFreeChart("fine-tuning loss", JFreeChart.DEFAULT_TITLE_FONT, plot, true)), dir, FINETUNE_LOSS_PNG);
  }

  private static void evalSection(StringBuilder md, ResourceId dir, JsonNode eval) {
    md.append("## Evaluation\n\n| evaluation | examples | metrics |\n|---|---|---|\n");
    Map<String, JsonNode> reports = new LinkedHashMap<>();
    eval.path("reports").fields().forEachRemaining(e -> reports.put(e.getKey(), e.getValue()));
    for (Map.Entry<String, JsonNode> e : reports.entrySet()) {
      List<String> metrics = new ArrayList<>();
      e.getValue().path("metrics").fields().forEachRemaining(m -> metrics.add(m.getKey() + " " + format(m.getValue())));
      md.append(String.format(Locale.ROOT, "| %s | %,d | %s |%n", e.getKey(), e.getValue().path("examples").asLong(),
          String.join(", ", metrics)));
    }
    md.append('\n');
    DefaultCategoryDataset scores = new DefaultCategoryDataset();
    StringBuilder comparison = new StringBuilder();
    for (Map.Entry<String, JsonNode> e : reports.entrySet()) {
      String label = e.getKey();
      JsonNode baseline = reports.get(label + EvalStage.BASELINE_SUFFIX);
      if (baseline == null) {
        continue;
      }
      String metric = headlineMetric(e.getValue());
      double pre = e.getValue().path("metrics").path(metric).asDouble(Double.NaN);
      double rnd = baseline.path("metrics").path(metric).asDouble(Double.NaN);
      scores.addValue(pre, "pretrained", label + " " + metric);
      scores.addValue(rnd, "random init", label + " " + metric);
      comparison.append(String.format(Locale.ROOT, "| %s | %s | %.4f | %.4f | %+.4f | %s |%n", label, metric, pre, rnd,
          pre - rnd, pre > rnd ? "pretraining" : pre < rnd ? "random init" : "tie"));
    }
    if (!comparison.isEmpty()) {
      md.append("### Pretrained vs random init (same shape, tokenizer and fine-tuning budget)\n\n")
          .append("| task | metric | pretrained | random init | difference | better |\n|---|---|---|---|---|---|\n")
          .append(comparison).append("\n![scores](").append(SCORES_PNG).append(")\n\n");
      BarRenderer bars = new BarRenderer();
      bars.setBarPainter(new StandardBarPainter());
      bars.setShadowVisible(false);
      bars.setSeriesPaint(0, PALETTE[0]);
      bars.setSeriesPaint(1, Color.GRAY);
      CategoryPlot plot = new CategoryPlot(scores, new CategoryAxis("task"), new NumberAxis("score"), bars);
      save(plot(new JFreeChart("pretrained vs random init", JFreeChart.DEFAULT_TITLE_FONT, plot, true)),
          dir, SCORES_PNG);
    }
  }

  /** The metric a task is compared on: the first one its report lists (accuracy, token accuracy, ...). */
  static String headlineMetric(JsonNode report) {
    Iterator<String> names = report.path("metrics").fieldNames();
    return names.hasNext() ? names.next() : "none";
  }

  private static double mean(List<Double> xs, boolean first) {
    if (xs.isEmpty()) {
      return Double.NaN;
    }
    int n = Math.min(10, xs.size());
    List<Double> part = first ? xs.subList(0, n) : xs.subList(xs.size() - n, xs.size());
    return part.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
  }

  private static JFreeChart plot(JFreeChart chart) {
    chart.setBackgroundPaint(Color.WHITE);
    if (chart.getPlot() instanceof XYPlot xy) {
      xy.setBackgroundPaint(Color.WHITE);
      xy.setRangeGridlinePaint(Color.LIGHT_GRAY);
      xy.setDomainGridlinePaint(Color.LIGHT_GRAY);
    } else if (chart.getPlot() instanceof CategoryPlot c) {
      c.setBackgroundPaint(Color.WHITE);
      c.setRangeGridlinePaint(Color.LIGHT_GRAY);
    }
    return chart;
  }

  private static void save(JFreeChart chart, ResourceId dir, String name) {
    java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
    try {
      ChartUtils.writeChartAsPNG(png, chart, 900, 500);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot draw the plot " + name + ": " + e.getMessage(), e);
    }
    Artifacts.write(dir, name, png.toByteArray());
  }

  /** {@code path} relative to the report's folder when it lies under it (links in the report), else as is. */
  private static String relative(ResourceId dir, String path) {
    String base = Artifacts.uri(dir) + "/";
    return path.startsWith(base) ? path.substring(base.length()) : path;
  }
}
