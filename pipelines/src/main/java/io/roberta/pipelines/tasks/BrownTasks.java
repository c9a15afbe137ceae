package io.roberta.pipelines.tasks;

import io.roberta.spec.FinetuneSpec.Head;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Two tasks on the tagged Brown corpus (files {@code c<genre><nn>} of {@code word/tag} tokens,
 * one sentence per line): genre classification of passages (15 genres, the file name's second
 * letter) and part-of-speech tagging with a coarse 12-tag set. Train and test are split by file
 * (files numbered 05, 10, 15... are test), so no file is in both.
 *
 * <pre>{@code TaskData train = BrownTasks.genre(Path.of("data/brown"), BrownTasks.Split.TRAIN, 4);}</pre>
 */
public final class BrownTasks {
  public static final List<String> GENRES =
      List.of("a", "b", "c", "d", "e", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r");
  public static final List<String> POS_TAGS =
      List.of("NOUN", "VERB", "ADJ", "ADV", "ADP", "DET", "PRON", "CONJ", "NUM", "PRT", ".", "X");
  private static final Pattern FILE = Pattern.compile("c([a-r])(\\d\\d)");
  private static final Pattern SPACE = Pattern.compile("\\s+");
  private static final int TEST_EVERY = 5;

  public enum Split { TRAIN, TEST }

  private BrownTasks() {}

  /** One sentence of one file: its words and fine-grained tags. */
  record Sentence(String file, long line, List<String> words, List<String> tags) {}

  /** Passages of {@code sentencesPerPassage} consecutive sentences, labelled with their file's genre. */
  public static TaskData genre(Path dir, Split split, int sentencesPerPassage) {
    List<TaskExample> examples = new ArrayList<>();
    List<Rejected> rejected = new ArrayList<>();
    for (Path file : files(dir, split)) {
      String genre = FILE.matcher(file.getFileName().toString()).replaceFirst("$1");
      List<Sentence> sentences = sentences(file, rejected);
      for (int i = 0; i < sentences.size(); i += sentencesPerPassage) {
        StringBuilder text = new StringBuilder();
        for (Sentence s : sentences.subList(i, Math.min(sentences.size(), i + sentencesPerPassage))) {
          if (!text.isEmpty()) {
            text.append(' ');
          }
          text.append(String.join(" ", s.words()));
        }
        Sentence first = sentences.get(i);
        examples.add(TaskExample.single(examples.size(), first.file() + ":" + first.line(), text.toString(), genre));
      }
    }
    return new TaskData("brown-genre", Head.SEQUENCE_CLASSIFICATION, GENRES, examples, rejected);
  }

  /** Sentences with one coarse tag per word. */
  public static TaskData partOfSpeech(Path dir, Split split) {
    List<TaskExample> examples = new ArrayList<>();
    List<Rejected> rejected = new ArrayList<>();
    for (Path file : files(dir, split)) {
      for (Sentence s : sentences(file, rejected)) {
        examples.add(TaskExample.tagged(examples.size(), s.file() + ":" + s.line(), s.words(),
            s.tags().stream().map(BrownTasks::coarseTag).toList()));
      }
    }
    return new TaskData("brown-pos", Head.TOKEN_CLASSIFICATION, POS_TAGS, examples, rejected);
  }

  /** Whether a file named {@code name} belongs to {@code split} (files 05, 10, ... are the test split). */
  public static boolean isFileOf(String name, Split split) {
    if (!FILE.matcher(name).matches()) {
      return false;
    }
    return (Integer.parseInt(name.substring(2)) % TEST_EVERY == 0) == (split == Split.TEST);
  }

  /** The corpus files of a split, sorted by name. */
  public static List<Path> files(Path dir, Split split) {
    try (Stream<Path> all = Files.list(dir)) {
      List<Path> files = all.filter(p -> FILE.matcher(p.getFileName().toString()).matches())
          .filter(p -> {
            int n = Integer.parseInt(p.getFileName().toString().substring(2));
            return (n % TEST_EVERY == 0) == (split == Split.TEST);
          })
          .sorted()
          .toList();
      if (files.isEmpty()) {
        throw new IllegalArgumentException("no Brown corpus " + (split == Split.TEST ? "test" : "training")
            + " files (c[a-r]NN) in " + dir + " (" + TaskCatalog.SEE + ")");
      }
      return files;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
    }
  }

  static List<Sentence> sentences(Path file, List<Rejected> rejected) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new TaskDataException("brown", List.of(new Rejected(file.toString(), 0, null,
          "not valid UTF-8 (the Brown corpus files are ASCII)")));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    List<Sentence> out = new ArrayList<>();
    String name = file.getFileName().toString();
    lineLoop:
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty()) {
        continue;
      }
      List<String> words = new ArrayList<>();
      List<String> tags = new ArrayList<>();
      for (String token : SPACE.split(line)) {
        int slash = token.lastIndexOf('/');
        if (slash <= 0 || slash == token.length() - 1) {
          rejected.add(new Rejected(file.toString(), i + 1, "token", "'" + token + "' is not word/tag"));
          continue lineLoop;
        }
        words.add(token.substring(0, slash));
        tags.add(token.substring(slash + 1));
      }
      out.add(new Sentence(name, i + 1, words, tags));
    }
    return out;
  }

  /** Maps a Brown tag (e.g. {@code np-tl}, {@code pps+bez}, {@code fw-nn}) to one of {@link #POS_TAGS}. */
  public static String coarseTag(String brownTag) {
    String t = brownTag.toLowerCase(Locale.ROOT);
    if (t.startsWith("fw-")) {
      t = t.substring(3);
    }
    int plus = t.indexOf('+');
    if (plus > 0) {
      t = t.substring(0, plus);
    }
    for (String suffix : new String[] {"-tl", "-hl", "-nc"}) {
      while (t.endsWith(suffix)) {
        t = t.substring(0, t.length() - suffix.length());
      }
    }
    t = t.replace("*", "").replace("$", "");
    if (t.isEmpty()) {
      return brownTag.contains("*") ? "ADV" : "X"; // "*" alone tags "not"
    }
    if (!Character.isLetter(t.charAt(0))) {
      return ".";
    }
    if (t.startsWith("nn") || t.startsWith("np") || t.startsWith("nr")) {
      return "NOUN";
    }
    if (t.startsWith("vb") || t.startsWith("be") || t.startsWith("do") || t.startsWith("hv") || t.equals("md")) {
      return "VERB";
    }
    if (t.startsWith("jj")) {
      return "ADJ";
    }
    if (t.startsWith("rb") || t.equals("ql") || t.equals("wrb") || t.equals("wql")) {
      return "ADV";
    }
    if (t.equals("in")) {
      return "ADP";
    }
    if (t.equals("at") || t.equals("ap") || t.startsWith("ab") || t.startsWith("dt") || t.equals("wdt") || t.equals("ex")) {
      return "DET";
    }
    if (t.startsWith("pp") || t.startsWith("wp")) {
      return "PRON";
    }
    if (t.equals("cc") || t.equals("cs")) {
      return "CONJ";
    }
    if (t.equals("cd") || t.equals("od")) {
      return "NUM";
    }
    if (t.equals("to") || t.equals("rp")) {
      return "PRT";
    }
    return "X";
  }
}
