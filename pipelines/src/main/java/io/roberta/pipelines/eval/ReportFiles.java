package io.roberta.pipelines.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.roberta.pipelines.tasks.Rejected;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.util.MimeTypes;

/**
 * Writes an evaluation's {@code predictions.jsonl}, {@code report.json} and {@code report.md}
 * through Beam's {@link FileSystems} (local paths and {@code gs://} alike). Undefined metrics
 * (NaN) are written as JSON {@code null} and "undefined" in Markdown.
 */
public final class ReportFiles {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final ObjectMapper LINE = new ObjectMapper();

  private ReportFiles() {}

  public static void write(String dir, TaskReport report, List<Prediction> predictions) {
    StringBuilder jsonl = new StringBuilder();
    try {
      for (Prediction p : predictions) {
        jsonl.append(LINE.writeValueAsString(predictionJson(p))).append('\n');
      }
      write(dir, "predictions.jsonl", jsonl.toString());
      write(dir, "report.json", JSON.writeValueAsString(reportJson(report)) + "\n");
      write(dir, "report.md", markdown(report));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the evaluation report to " + dir + ": " + e.getMessage(), e);
    }
  }

  static ObjectNode reportJson(TaskReport r) {
    ObjectNode o = JSON.createObjectNode();
    o.put("task", r.task());
    o.put("head", r.head());
    o.put("examples", r.examples());
    ObjectNode metrics = o.putObject("metrics");
    r.metrics().forEach((k, v) -> {
      if (Double.isFinite(v)) {
        metrics.put(k, v);
      } else {
        metrics.putNull(k);
      }
    });
    ArrayNode notes = o.putArray("notes");
    r.notes().forEach(notes::add);
    if (r.metrics().values().stream().anyMatch(v -> !Double.isFinite(v))) {
      notes.add("a null metric is undefined (e.g. a correlation of constant predictions)");
    }
    o.put("rejectedRows", r.rejected().size());
    ArrayNode rejected = o.putArray("rejected");
    for (Rejected x : r.rejected()) {
      ObjectNode j = rejected.addObject();
      j.put("file", x.file());
      j.put("line", x.line());
      j.put("field", x.field());
      j.put("reason", x.reason());
    }
    return o;
  }

  static String markdown(TaskReport r) {
    StringBuilder md = new StringBuilder();
    md.append("# Evaluation: ").append(r.task()).append("\n\n");
    md.append("Head: ").append(r.head()).append(", ").append(r.examples()).append(" examples scored.\n\n");
    for (String note : r.notes()) {
      md.append("> **Note:** ").append(note).append("\n\n");
    }
    md.append("| metric | value |\n|---|---|\n");
    for (Map.Entry<String, Double> e : r.metrics().entrySet()) {
      md.append("| ").append(e.getKey()).append(" | ")
          .append(Double.isFinite(e.getValue()) ? String.format(Locale.ROOT, "%.4f", e.getValue()) : "undefined")
          .append(" |\n");
    }
    if (!r.rejected().isEmpty()) {
      md.append("\n## Rejected rows (not scored)\n\n");
      for (Rejected x : r.rejected()) {
        md.append("* ").append(x).append('\n');
      }
    }
    return md.toString();
  }

  private static ObjectNode predictionJson(Prediction p) {
    ObjectNode o = LINE.createObjectNode();
    o.put("index", p.index());
    o.put("id", p.id());
    if (p.tags() != null) {
      ArrayNode t = o.putArray("predicted");
      p.tags().forEach(t::add);
      ArrayNode g = o.putArray("gold");
      p.goldTags().forEach(g::add);
    } else if (p.goldAnswers() != null) {
      o.put("predicted", p.predicted());
      ArrayNode g = o.putArray("gold");
      p.goldAnswers().forEach(g::add);
    } else if (p.predicted() != null) {
      o.put("predicted", p.predicted());
      o.put("gold", p.gold());
    } else {
      o.put("predicted", p.value());
      o.put("gold", p.goldValue());
    }
    return o;
  }

  static void write(String dir, String name, String text) throws IOException {
    ResourceId file = FileSystems.matchNewResource(dir, true).resolve(name, StandardResolveOptions.RESOLVE_FILE);
    try (OutputStream out = Channels.newOutputStream(FileSystems.create(file, MimeTypes.TEXT))) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }
}
