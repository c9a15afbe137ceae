package io.roberta.pipelines.eval.metrics;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Token tagging metrics: token accuracy, and entity-level precision/recall/F1 as CoNLL's {@code
 * conlleval} counts them (chunks from B-/I-/E-/S-/O tags; an I- after O or after another type
 * starts a chunk; an entity counts only if its type, start and end all match).
 *
 * <pre>{@code Tagging.Entities e = Tagging.entities(predictedSentences, goldSentences);}</pre>
 */
public final class Tagging {
  private Tagging() {}

  /** Precision, recall and F1 over entities, with the counts they came from. */
  public record Entities(long correct, long predicted, long gold) {
    public double precision() {
      return predicted == 0 ? 0.0 : (double) correct / predicted;
    }

    public double recall() {
      return gold == 0 ? 0.0 : (double) correct / gold;
    }

    /** 0 when nothing was predicted or nothing is gold (conlleval prints 0.00). */
    public double f1() {
      double p = precision();
      double r = recall();
      return p + r == 0 ? 0.0 : 2 * p * r / (p + r);
    }
  }

  /** A chunk: its type and token span {@code [start, end]} inclusive within one sentence. */
  public record Chunk(String type, int start, int end) {}

  /** Fraction of tokens (over all sentences) whose predicted tag equals the gold tag. */
  public static double tokenAccuracy(List<List<String>> predicted, List<List<String>> gold) {
    checkShapes(predicted, gold);
    long right = 0;
    long total = 0;
    for (int s = 0; s < gold.size(); s++) {
      for (int i = 0; i < gold.get(s).size(); i++) {
        total++;
        if (gold.get(s).get(i).equals(predicted.get(s).get(i))) {
          right++;
        }
      }
    }
    if (total == 0) {
      throw new IllegalArgumentException("no tokens to score");
    }
    return (double) right / total;
  }

  /** Entity counts over sentences; each sentence's chunks end at its end. */
  public static Entities entities(List<List<String>> predicted, List<List<String>> gold) {
    checkShapes(predicted, gold);
    long correct = 0;
    long p = 0;
    long g = 0;
    for (int s = 0; s < gold.size(); s++) {
      Set<Chunk> goldChunks = new HashSet<>(chunks(gold.get(s)));
      List<Chunk> predictedChunks = chunks(predicted.get(s));
      g += goldChunks.size();
      p += predictedChunks.size();
      for (Chunk c : predictedChunks) {
        if (goldChunks.contains(c)) {
          correct++;
        }
      }
    }
    return new Entities(correct, p, g);
  }

  /** True when every tag is {@code O} or has a B-/I-/E-/S- prefix (an entity tag set). */
  public static boolean isEntityTagSet(Iterable<String> tags) {
    for (String t : tags) {
      if (!t.equals("O") && !(t.length() > 2 && t.charAt(1) == '-' && "BIES".indexOf(t.charAt(0)) >= 0)) {
        return false;
      }
    }
    return true;
  }

  /** The chunks of one sentence, by conlleval's start/end rules. */
  public static List<Chunk> chunks(List<String> tags) {
    List<Chunk> out = new ArrayList<>();
    String prevTag = "O";
    String prevType = "";
    int start = -1;
    for (int i = 0; i <= tags.size(); i++) {
      String tag = i < tags.size() ? prefix(tags.get(i)) : "O";
      String type = i < tags.size() ? type(tags.get(i)) : "";
      if (start >= 0 && endOfChunk(prevTag, tag, prevType, type)) {
        out.add(new Chunk(prevType, start, i - 1));
        start = -1;
      }
      if (startOfChunk(prevTag, tag, prevType, type)) {
        start = i;
      }
      prevTag = tag;
      prevType = type;
    }
    return out;
  }

  private static String prefix(String tag) {
    return tag.equals("O") || tag.length() < 2 || tag.charAt(1) != '-' ? (tag.equals("O") ? "O" : "I") : tag.substring(0, 1);
  }

  private static String type(String tag) {
    if (tag.equals("O")) {
      return "";
    }
    return tag.length() > 2 && tag.charAt(1) == '-' ? tag.substring(2) : tag;
  }

  private static boolean endOfChunk(String prev, String tag, String prevType, String type) {
    return switch (prev) {
      case "E", "S" -> true;
      case "B", "I" -> tag.equals("B") || tag.equals("S") || tag.equals("O") || !prevType.equals(type);
      default -> false;
    };
  }

  private static boolean startOfChunk(String prev, String tag, String prevType, String type) {
    return switch (tag) {
      case "B", "S" -> true;
      case "I", "E" -> prev.equals("E") || prev.equals("S") || prev.equals("O") || !prevType.equals(type);
      default -> false;
    };
  }

  private static void checkShapes(List<List<String>> predicted, List<List<String>> gold) {
    if (predicted.size() != gold.size()) {
      throw new IllegalArgumentException(
          predicted.size() + " predicted sentences for " + gold.size() + " gold sentences");
    }
    for (int s = 0; s < gold.size(); s++) {
      if (predicted.get(s).size() != gold.get(s).size()) {
        throw new IllegalArgumentException("sentence " + s + ": " + predicted.get(s).size()
            + " predicted tags for " + gold.get(s).size() + " tokens");
      }
    }
  }
}
