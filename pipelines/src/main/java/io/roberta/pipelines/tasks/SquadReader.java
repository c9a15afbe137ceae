package io.roberta.pipelines.tasks;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
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
      expect(p.nextToken(), JsonToken.START_OBJECT, p, name);
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        p.nextToken();
        if (!field.equals("data")) {
          p.skipChildren();
          continue;
        }
        expect(p.currentToken(), JsonToken.START_ARRAY, p, name);
        while (p.nextToken() == JsonToken.START_OBJECT) { // an article
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String articleField = p.currentName();
            p.nextToken();
            if (!articleField.equals("paragraphs")) {
              p.skipChildren();
              continue;
            }
            expect(p.currentToken(), JsonToken.START_ARRAY, p, name);
            while (p.nextToken() == JsonToken.START_OBJECT) {
              paragraph(p, name, examples, rejected);
            }
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read SQuAD file " + file + ": " + e.getMessage(), e);
    }
    return new TaskData("squad", Head.QUESTION_ANSWERING, List.of(), examples, rejected);
  }

  private static void paragraph(JsonParser p, String file, List<TaskExample> examples, List<Rejected> rejected)
      throws IOException {
    long paragraphLine = p.currentLocation().getLineNr();
    String context = null;
    List<PendingQuestion> questions = new ArrayList<>();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      p.nextToken();
      if (field.equals("context") && p.currentToken() == JsonToken.VALUE_STRING) {
        context = p.getText();
      } else if (field.equals("qas") && p.currentToken() == JsonToken.START_ARRAY) {
        while (p.nextToken() == JsonToken.START_OBJECT) {
          long line = p.currentLocation().getLineNr();
          questions.add(new PendingQuestion(line, p.readValueAsTree()));
        }
      } else {
        p.skipChildren();
      }
    }
    if (context == null) {
      rejected.add(new Rejected(file, paragraphLine, "context", "paragraph without a context string"));
      return;
    }
    for (PendingQuestion q : questions) {
      question(q, context, file, examples, rejected);
    }
  }

  private static void question(PendingQuestion q, String context, String file, List<TaskExample> examples,
      List<Rejected> rejected) {
    JsonNode n = q.node();
    String id = n.path("id").asText(null);
    String question = n.path("question").asText(null);
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
      String text = a.path("text").asText(null);
      JsonNode start = a.path("answer_start");
      String field = "answers[" + i + "]";
      if (text == null || !start.canConvertToInt()) {
        rejected.add(new Rejected(file, q.line(), field, "question " + id + ": answer needs text and an integer answer_start"));
        return;
      }
      int s = start.asInt();
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

  private static void expect(JsonToken got, JsonToken want, JsonParser p, String file) {
    if (got != want) {
      throw new TaskDataException("squad", List.of(new Rejected(file, p.currentLocation().getLineNr(), null,
          "expected " + want + ", found " + got + " (is this SQuAD v1.1 JSON?)")));
    }
  }
}
