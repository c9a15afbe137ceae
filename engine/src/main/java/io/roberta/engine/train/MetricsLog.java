package io.roberta.engine.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code metrics.jsonl}: one JSON object per optimizer step. On resume the lines written after the
 * checkpoint (by the run that was killed) are dropped, so the file always reads as one run.
 */
public final class MetricsLog implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Path file;
  private BufferedWriter out;

  public MetricsLog(Path file) {
    this.file = file;
  }

  public Path file() {
    return file;
  }

  /** Keeps the lines of steps {@code <= step} and opens the file for appending. */
  public void truncateAfter(long step) {
    try {
      List<String> kept = new ArrayList<>();
      for (StepMetrics m : read(file)) {
        if (m.step() <= step) {
          kept.add(line(m));
        }
      }
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.write(file, kept, StandardCharsets.UTF_8);
      out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot rewrite " + file, e);
    }
  }

  public void append(StepMetrics m) {
    try {
      if (out == null) {
        truncateAfter(Long.MAX_VALUE);
      }
      out.write(line(m));
      out.newLine();
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to " + file, e);
    }
  }

  public static String line(StepMetrics m) {
    ObjectNode o = JSON.createObjectNode();
    o.put("step", m.step());
    o.put("loss", m.loss());
    o.put("accuracy", m.accuracy());
    o.put("lr", m.learningRate());
    o.put("gradNorm", m.gradNorm());
    o.put("tokensPerSecond", m.tokensPerSecond());
    o.put("maskedTokens", m.maskedTokens());
    return o.toString();
  }

  /** Every step recorded in {@code file}; an unparseable line is an error naming the line. */
  public static List<StepMetrics> read(Path file) {
    if (!Files.exists(file)) {
      return new ArrayList<>();
    }
    try {
      return parse(Files.readAllLines(file, StandardCharsets.UTF_8), file.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** The steps of a metrics file's text ({@code source} names it in errors). */
  public static List<StepMetrics> parse(String text, String source) {
    return parse(List.of(text.split("\n")), source);
  }

  private static List<StepMetrics> parse(List<String> lines, String file) {
    List<StepMetrics> all = new ArrayList<>();
    {
      for (int i = 0; i < lines.size(); i++) {
        String s = lines.get(i);
        if (s.isBlank()) {
          continue;
        }
        try {
          JsonNode n = JSON.readTree(s);
          all.add(new StepMetrics(n.get("step").asLong(), n.get("loss").asDouble(), n.get("accuracy").asDouble(),
              n.get("lr").asDouble(), n.get("gradNorm").asDouble(), n.get("tokensPerSecond").asDouble(),
              n.get("maskedTokens").asLong()));
        } catch (IOException | NullPointerException e) {
          // A line cut short by a kill mid-write is the only expected damage: stop there.
          if (i == lines.size() - 1) {
            break;
          }
          throw new IllegalArgumentException(file + " line " + (i + 1) + " is not a metrics record: " + s, e);
        }
      }
      return all;
    }
  }

  @Override
  public void close() {
    if (out != null) {
      try {
        out.close();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot close " + file, e);
      }
      out = null;
    }
  }
}
