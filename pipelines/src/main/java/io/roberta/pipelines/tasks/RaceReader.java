package io.roberta.pipelines.tasks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.roberta.spec.FinetuneSpec.Head;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads RACE ({@code RACE/<split>/<level>/*.txt}, each file one JSON object {@code {"article",
 * "questions": [..], "options": [[4 strings], ..], "answers": ["A".."D", ..], "id"}}) into one
 * multiple-choice example per question. A file that is not such an object is rejected whole with
 * the reason; a question whose options are not four strings or whose answer is not A-D is
 * rejected alone, named by its file, index and text. Files are read in level then name order.
 *
 * <pre>{@code TaskData dev = RaceReader.read(Path.of("RACE"), "dev", RaceReader.Level.ALL);}</pre>
 */
public final class RaceReader {
  public static final int CHOICES = 4;
  public static final List<String> LABELS = List.of("A", "B", "C", "D");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** RACE's two parts: middle-school and high-school exams. */
  public enum Level {
    ALL(List.of("middle", "high")), MIDDLE(List.of("middle")), HIGH(List.of("high"));

    final List<String> folders;

    Level(List<String> folders) {
      this.folders = folders;
    }
  }

  private RaceReader() {}

  /**
   * The questions of {@code split} ({@code train}, {@code dev}, {@code test}) under {@code root}
   * (the folder holding the split folders); {@code root} may also be one split's or one level's
   * folder, or a single file.
   */
  public static TaskData read(Path root, String split, Level level) {
    String task = level == Level.ALL ? "race" : "race-" + level.folders.get(0);
    List<TaskExample> examples = new ArrayList<>();
    List<Rejected> rejected = new ArrayList<>();
    for (Path file : files(root, split, level)) {
      readFile(file, examples, rejected);
    }
    return new TaskData(task, Head.MULTIPLE_CHOICE, LABELS, examples, rejected);
  }

  static List<Path> files(Path root, String split, Level level) {
    if (Files.isRegularFile(root)) {
      return List.of(root);
    }
    Path base = Files.isDirectory(root.resolve(split)) ? root.resolve(split) : root;
    List<Path> dirs = new ArrayList<>();
    for (String folder : level.folders) {
      if (Files.isDirectory(base.resolve(folder))) {
        dirs.add(base.resolve(folder));
      }
    }
    if (dirs.isEmpty()) {
      dirs.add(base); // a level's folder itself
    }
    List<Path> files = new ArrayList<>();
    for (Path dir : dirs) {
      try (Stream<Path> list = Files.list(dir)) {
        list.filter(p -> p.getFileName().toString().endsWith(".txt") || p.getFileName().toString().endsWith(".json"))
            .filter(Files::isRegularFile).sorted().forEach(files::add);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list RACE folder " + dir + ": " + e.getMessage(), e);
      }
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException("no RACE files (*.txt) for split '" + split + "' under " + root
          + ": expected " + root + "/" + split + "/{middle,high}/*.txt");
    }
    return files;
  }

  private static void readFile(Path file, List<TaskExample> examples, List<Rejected> rejected) {
    String name = file.toString();
    JsonNode root;
    try {
      root = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
    } catch (JsonProcessingException e) {
      rejected.add(new Rejected(name, e.getLocation() == null ? 1 : e.getLocation().getLineNr(), null,
          "not valid JSON: " + e.getOriginalMessage()));
      return;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read RACE file " + file + ": " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      rejected.add(new Rejected(name, 1, null, "not a JSON object with article, questions, options, answers"));
      return;
    }
    JsonNode article = root.get("article");
    JsonNode questions = root.get("questions");
    JsonNode options = root.get("options");
    JsonNode answers = root.get("answers");
    if (article == null || !article.isTextual() || article.asText().isBlank()) {
      rejected.add(new Rejected(name, 1, "article", "missing or empty article (a string)"));
      return;
    }
    for (String field : List.of("questions", "options", "answers")) {
      if (!root.path(field).isArray()) {
        rejected.add(new Rejected(name, 1, field, "missing '" + field + "' array"));
        return;
      }
    }
    if (options.size() != questions.size() || answers.size() != questions.size()) {
      rejected.add(new Rejected(name, 1, "questions", questions.size() + " questions but " + options.size()
          + " option lists and " + answers.size() + " answers: each question needs one of each"));
      return;
    }
    String fileId = file.getParent() == null ? file.getFileName().toString()
        : file.getParent().getFileName() + "/" + file.getFileName();
    String passage = article.asText().replace('\n', ' ').replaceAll("\\s+", " ").strip();
    for (int q = 0; q < questions.size(); q++) {
      String field = "questions[" + q + "]";
      String question = questions.get(q).asText("");
      String problem = problem(questions.get(q), options.get(q), answers.get(q));
      if (problem != null) {
        rejected.add(new Rejected(name, 1, field, "question " + q + " (\"" + abbreviate(question) + "\"): " + problem));
        continue;
      }
      List<String> choices = new ArrayList<>();
      options.get(q).forEach(o -> choices.add(o.asText()));
      examples.add(TaskExample.choice(examples.size(), fileId + "#" + q, passage, question, choices,
          answers.get(q).asText()));
    }
  }

  /** What is wrong with one question, or null. */
  private static String problem(JsonNode question, JsonNode options, JsonNode answer) {
    if (!question.isTextual()) {
      return "the question is not a string";
    }
    if (!options.isArray() || options.size() != CHOICES) {
      return "needs " + CHOICES + " options, has " + (options.isArray() ? options.size() : "none (" + options + ")");
    }
    for (JsonNode o : options) {
      if (!o.isTextual()) {
        return "option " + o + " is not a string";
      }
    }
    if (!answer.isTextual() || !LABELS.contains(answer.asText())) {
      return "answer " + answer + " is not one of " + LABELS;
    }
    return null;
  }

  private static String abbreviate(String s) {
    return s.length() <= 60 ? s : s.substring(0, 57) + "...";
  }
}
