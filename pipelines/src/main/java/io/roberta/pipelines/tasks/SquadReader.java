package io.roberta.pipelines.tasks;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.roberta.spec.FinetuneSpec.Head;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads SQuAD v1.1 JSON ({@code data[].paragraphs[].{context, qas[]}}) with a streaming parser, so
 * a bad question is reported with the line it starts on. A question without an id or answers, or
 * an answer whose {@code answer_start} does not point at its text in the context, is rejected.
 *
 * <pre>{@code TaskData dev = SquadReader.read(Path.of("squad/dev-v1.1.json"));}</pre>
 */
public final class SquadReader {
  private static final ObjectMapper JSON = new ObjectMapper();

  private SquadReader() {}

  private record PendingQuestion(long line, JsonNode node) {}

  public static TaskData read(Path file) {
    List<TaskExample> examples = new ArrayList<>();
    List<Rejected> rejected = new ArrayList<>();
    String name = file.toString();
    try (JsonParser p = new JsonFactory(JSON).createParser(file.toFile())) {
      expect(p.nextToken(), JsonToken.START_OBJECT, p, name, "the top level");
      boolean sawData = false;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        p.nextToken();
        if (!field.equals("data")) {
          p.skipChildren();
          continue;
        }
        sawData = true;
        expect(p.currentToken(), JsonToken.START_ARRAY, p, name, "data");
        int a = 0;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken(), a++) {
          if (notAnObject(p, t, name, "data[" + a + "]", "an article", rejected)) {
            continue;
          }
          article(p, name, "data[" + a + "]", examples, rejected);
        }
      }
      if (!sawData) {
        throw new TaskDataException("squad", List.of(new Rejected(name, 1, "data",
            "no \"data\" array at the top level (is this SQuAD v1.1 JSON?)")));
      }
    } catch (JsonProcessingException e) {
      throw new TaskDataException("squad", List.of(new Rejected(name,
          e.getLocation() == null ? 0 : e.getLocation().getLineNr(), null,
          "not valid JSON: " + e.getOriginalMessage())));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read SQuAD file " + file + ": " + e.getMessage(), e);
    }
    return new TaskData("squad", Head.QUESTION_ANSWERING, List.of(), examples, rejected);
  }

  /**
   * True (and the value skipped and rejected) when the current token {@code t} does not start an
   * object: the item is counted as rejected instead of ending the enclosing array unnoticed.
   */
  private static boolean notAnObject(JsonParser p, JsonToken t, String file, String where, String what,
      List<Rejected> rejected) throws IOException {
    if (t == JsonToken.START_OBJECT) {
      return false;
    }
    if (t == null) {
      throw new TaskDataException("squad", List.of(new Rejected(file,
          p.currentLocation().getLineNr(), where, "the file ends inside " + where)));
    }
    rejected.add(new Rejected(file, p.currentLocation().getLineNr(), where,
        what + " must be a JSON object, found " + describe(t)));
    p.skipChildren();
    return true;
  }

  private static String describe(JsonToken t) {
    return switch (t) {
      case START_ARRAY -> "an array";
      case VALUE_STRING -> "a string";
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
      case VALUE_TRUE, VALUE_FALSE -> "a boolean";
      case VALUE_NULL -> "null";
      default -> String.valueOf(t);
    };
  }

  private static void article(JsonParser p, String file, String where, List<TaskExample> examples,
      List<Rejected> rejected) throws IOException {
    long line = p.currentLocation().getLineNr();
    boolean sawParagraphs = false;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken value = p.nextToken();
      if (!field.equals("paragraphs")) {
        p.skipChildren();
        continue;
      }
      sawParagraphs = true;
      if (value != JsonToken.START_ARRAY) {
        rejected.add(new Rejected(file, p.currentLocation().getLineNr(), where + ".paragraphs",
            "paragraphs must be an array, found " + describe(value)));
        p.skipChildren();
        continue;
      }
      int i = 0;
      for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken(), i++) {
        String at = where + ".paragraphs[" + i + "]";
        if (notAnObject(p, t, file, at, "a paragraph", rejected)) {
          continue;
        }
        paragraph(p, file, at, examples, rejected);
      }
    }
    if (!sawParagraphs) {
      rejected.add(new Rejected(file, line, where, "article without a paragraphs array"));
    }
  }

  private static void paragraph(JsonParser p, String file, String where, List<TaskExample> examples,
      List<Rejected> rejected) throws IOException {
    long paragraphLine = p.currentLocation().getLineNr();
    String context = null;
    boolean sawQas = false;
    List<PendingQuestion> questions = new ArrayList<>();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken value = p.nextToken();
      if (field.equals("context") && value == JsonToken.VALUE_STRING) {
        context = p.getText();
      } else if (field.equals("qas")) {
        sawQas = true;
        if (value != JsonToken.START_ARRAY) {
          rejected.add(new Rejected(file, p.currentLocation().getLineNr(), where + ".qas",
              "qas must be an array of questions, found " + describe(value)));
          p.skipChildren();
          continue;
        }
        int i = 0;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken(), i++) {
          if (notAnObject(p, t, file, where + ".qas[" + i + "]", "a question", rejected)) {
            continue;
          }
          long line = p.currentLocation().getLineNr();
          questions.add(new PendingQuestion(line, p.readValueAsTree()));
        }
      } else {
        p.skipChildren();
      }
    }
    if (context == null) {
      rejected.add(new Rejected(file, paragraphLine, where + ".context",
          "paragraph without a context string" + (questions.isEmpty() ? ""
              : " (" + questions.size() + " question(s) not used)")));
      return;
    }
    if (!sawQas) {
      rejected.add(new Rejected(file, paragraphLine, where + ".qas", "paragraph without a qas array"));
    }
    for (PendingQuestion q : questions) {
      question(q, context, file, examples, rejected);
    }
  }

  private static void question(PendingQuestion q, String context, String file, List<TaskExample> examples,
      List<Rejected> rejected) {
    JsonNode n = q.node();
    String id = n.path("id").isValueNode() ? n.path("id").asText(null) : null;
    String question = n.path("question").isTextual() ? n.path("question").asText() : null;
    if (id == null || id.isBlank()) {
      rejected.add(new Rejected(file, q.line(), "id", "question without an id"));
      return;
    }
    if (question == null) {
      rejected.add(new Rejected(file, q.line(), "question", "question " + id + " has no question text"));
      return;
    }
    JsonNode answers = n.path("answers");
    if (!answers.isArray() || answers.isEmpty()) {
      rejected.add(new Rejected(file, q.line(), "answers", "question " + id + " has no answers (SQuAD v1.1 has no unanswerable questions)"));
      return;
    }
    List<TaskExample.Answer> out = new ArrayList<>();
    for (int i = 0; i < answers.size(); i++) {
      JsonNode a = answers.get(i);
      String text = a.path("text").isTextual() ? a.path("text").asText() : null;
      JsonNode start = a.path("answer_start");
      String field = "answers[" + i + "]";
      if (text == null || !start.isIntegralNumber() || !start.canConvertToInt()) {
        rejected.add(new Rejected(file, q.line(), field, "question " + id + ": answer needs text and an integer answer_start"));
        return;
      }
      int s = start.asInt();
      if (text.isBlank()) {
        rejected.add(new Rejected(file, q.line(), field + ".text", "question " + id
            + ": answer text is empty; an answer is a non-empty span of the context"));
        return;
      }
      if (s < 0 || s + text.length() > context.length() || !context.startsWith(text, s)) {
        String found = s < 0 || s >= context.length() ? "(outside the context of " + context.length() + " chars)"
            : "'" + context.substring(s, Math.min(context.length(), s + text.length())) + "'";
        rejected.add(new Rejected(file, q.line(), field + ".answer_start", "question " + id + ": answer '" + text
            + "' is not at offset " + s + " of the context, which holds " + found + " there"));
        return;
      }
      out.add(new TaskExample.Answer(text, s));
    }
    examples.add(TaskExample.question(examples.size(), id, question, context, out));
  }

  private static void expect(JsonToken got, JsonToken want, JsonParser p, String file, String where) {
    if (got != want) {
      throw new TaskDataException("squad", List.of(new Rejected(file, p.currentLocation().getLineNr(), where,
          where + " must be " + (want == JsonToken.START_OBJECT ? "an object" : "an array") + ", found "
              + (got == null ? "the end of the file" : describe(got)) + " (is this SQuAD v1.1 JSON?)")));
    }
  }
}
