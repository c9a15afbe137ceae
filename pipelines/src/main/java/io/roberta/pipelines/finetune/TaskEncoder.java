package io.roberta.pipelines.finetune;

import io.roberta.engine.model.RobertaTaskModel;
import io.roberta.engine.tokenizer.Encoding;
import io.roberta.engine.tokenizer.RobertaTokenizer;
import io.roberta.pipelines.tasks.TaskExample;
import io.roberta.spec.FinetuneSpec.Head;
import io.roberta.spec.SpecialTokens;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns task examples into model inputs RoBERTa's way: {@code <s> A </s>} or {@code <s> A
 * </s></s> B </s>}, pairs truncated longest-first; tagging labels on each word's first sub-token;
 * QA contexts split into windows of {@code maxLength} tokens that overlap by {@code stride}
 * tokens. Not thread safe (the tokenizer is not): one per thread.
 *
 * <pre>{@code List<Feature> f = new TaskEncoder(tokenizer, specials, Head.SEQUENCE_CLASSIFICATION, labels, 128).encode(example);}</pre>
 */
public final class TaskEncoder {
  /** Longest question kept for QA (HF's {@code max_query_length}). */
  static final int MAX_QUESTION_TOKENS = 64;

  private final RobertaTokenizer tokenizer;
  private final SpecialTokens specials;
  private final Head head;
  private final List<String> labels;
  private final int maxLength;
  private final int stride;

  public TaskEncoder(RobertaTokenizer tokenizer, SpecialTokens specials, Head head, List<String> labels, int maxLength) {
    if (maxLength < 8) {
      throw new IllegalArgumentException("maxSequenceLength = " + maxLength + ", must be at least 8");
    }
    this.tokenizer = tokenizer;
    this.specials = specials;
    this.head = head;
    this.labels = List.copyOf(labels);
    this.maxLength = maxLength;
    this.stride = Math.max(1, Math.min(128, maxLength / 4));
  }

  public Head head() {
    return head;
  }

  public List<String> labels() {
    return labels;
  }

  /** The features of one example (one, or one per window for QA). */
  public List<Feature> encode(TaskExample e) {
    return switch (head) {
      case SEQUENCE_CLASSIFICATION -> List.of(sequence(e, labelId(e), Double.NaN));
      case REGRESSION -> List.of(sequence(e, -1, e.score()));
      case TOKEN_CLASSIFICATION -> List.of(tagged(e));
      case QUESTION_ANSWERING -> windows(e);
      case MULTIPLE_CHOICE -> List.of(choices(e));
    };
  }

  /**
   * fairseq's RACE input ({@code preprocess_RACE.py}, {@code sentence_ranking}): per choice, the
   * question with its {@code _} blank filled by the choice (or the choice appended), at most
   * {@code min(128, maxLength / 2)} tokens, then the passage: {@code <s> question+choice </s></s>
   * passage </s>}, the passage's tail cut to fit as fairseq's {@code --truncate-sequence} does.
   */
  private Feature choices(TaskExample e) {
    if (e.choices() == null || e.choices().size() < 2) {
      throw new IllegalArgumentException("example " + e.id() + ": a multiple-choice example needs at least 2 choices");
    }
    int[] passage = body(tokenizer.encode(e.textA()));
    int maxOption = Math.min(128, maxLength / 2) - 2;
    int[][] sequences = new int[e.choices().size()][];
    for (int c = 0; c < sequences.length; c++) {
      String option = e.choices().get(c);
      String qa = e.textB().contains("_") ? e.textB().replace("_", option) : e.textB() + " " + option;
      int[] question = body(tokenizer.encode(qa.replaceAll("\\s+", " ").strip()));
      question = Arrays.copyOf(question, Math.min(question.length, maxOption));
      int room = maxLength - question.length - 4;
      sequences[c] = concat(new int[] {specials.bos()}, question, new int[] {specials.eos(), specials.eos()},
          Arrays.copyOf(passage, Math.min(passage.length, room)), new int[] {specials.eos()});
    }
    return Feature.choices(e.index(), sequences, labelId(e));
  }

  private int labelId(TaskExample e) {
    if (e.label() == null) {
      return -1; // unlabelled: prediction only
    }
    int id = labels.indexOf(e.label());
    if (id < 0) {
      throw new IllegalArgumentException("example " + e.id() + ": label '" + e.label() + "' is not one of " + labels);
    }
    return id;
  }

  private Feature sequence(TaskExample e, int label, double target) {
    int[] a = body(tokenizer.encode(e.textA()));
    int[] ids;
    if (e.textB() == null) {
      a = Arrays.copyOf(a, Math.min(a.length, maxLength - 2));
      ids = concat(new int[] {specials.bos()}, a, new int[] {specials.eos()});
    } else {
      int[] b = body(tokenizer.encode(e.textB()));
      int room = maxLength - 4;
      int la = a.length;
      int lb = b.length;
      while (la + lb > room) { // longest first, as HF's truncation="longest_first"
        if (la > lb) {
          la--;
        } else {
          lb--;
        }
      }
      ids = concat(new int[] {specials.bos()}, Arrays.copyOf(a, la),
          new int[] {specials.eos(), specials.eos()}, Arrays.copyOf(b, lb), new int[] {specials.eos()});
    }
    return new Feature(e.index(), ids, label, target, null, null, 0, 0, -1, null);
  }

  private Feature tagged(TaskExample e) {
    String text = String.join(" ", e.words());
    int[] wordStart = new int[e.words().size()];
    int[] wordEnd = new int[e.words().size()];
    int pos = 0;
    for (int w = 0; w < wordStart.length; w++) {
      wordStart[w] = pos;
      pos += e.words().get(w).length();
      wordEnd[w] = pos;
      pos++;
    }
    Encoding enc = tokenizer.encode(text);
    int n = Math.min(enc.length(), maxLength);
    int[] ids = Arrays.copyOf(enc.ids(), n);
    ids[n - 1] = specials.eos(); // truncation keeps the closing </s>
    int[] tokenLabels = new int[n];
    int[] wordOfToken = new int[n];
    Arrays.fill(tokenLabels, RobertaTaskModel.IGNORE_INDEX);
    Arrays.fill(wordOfToken, -1);
    int w = 0;
    int lastLabelled = -1;
    for (int t = 1; t < n - 1; t++) {
      int start = enc.offsets()[t][0];
      if (enc.offsets()[t][1] <= start) {
        continue; // a token with no text of its own
      }
      while (w < wordStart.length && wordEnd[w] <= start) {
        w++;
      }
      if (w == wordStart.length || start < wordStart[w] || w == lastLabelled) {
        continue; // the space before a word, or a later sub-token of a labelled word
      }
      lastLabelled = w;
      wordOfToken[t] = w;
      if (e.tags() != null) {
        int id = labels.indexOf(e.tags().get(w));
        if (id < 0) {
          throw new IllegalArgumentException("example " + e.id() + ": tag '" + e.tags().get(w) + "' is not one of " + labels);
        }
        tokenLabels[t] = id;
      }
    }
    return new Feature(e.index(), ids, -1, Double.NaN, tokenLabels, wordOfToken, 0, 0, -1, null);
  }

  private List<Feature> windows(TaskExample e) {
    int[] question = body(tokenizer.encode(e.textA()));
    question = Arrays.copyOf(question, Math.min(question.length, MAX_QUESTION_TOKENS));
    Encoding ctx = tokenizer.encode(e.textB());
    int[] context = body(ctx);
    int[][] offsets = Arrays.copyOfRange(ctx.offsets(), 1, ctx.length() - 1);
    int room = maxLength - question.length - 4;
    if (room < 1) {
      throw new IllegalArgumentException("example " + e.id() + ": a question of " + question.length
          + " tokens leaves no room for context in " + maxLength + " tokens");
    }
    int answerStartChar = -1;
    int answerEndChar = -1;
    if (e.answers() != null && !e.answers().isEmpty()) {
      TaskExample.Answer a = e.answers().get(0);
      answerStartChar = a.start();
      answerEndChar = a.start() + a.text().length();
    }
    int step = Math.max(1, room - Math.min(stride, room / 2));
    List<Feature> out = new ArrayList<>();
    for (int from = 0; ; from += step) {
      int to = Math.min(context.length, from + room);
      int[] ids = concat(new int[] {specials.bos()}, question, new int[] {specials.eos(), specials.eos()},
          Arrays.copyOfRange(context, from, to), new int[] {specials.eos()});
      int contextStart = question.length + 3;
      int start = 0;
      int end = 0;
      if (answerStartChar >= 0 && to > from
          && offsets[from][0] <= answerStartChar && offsets[to - 1][1] >= answerEndChar) {
        int s = from;
        while (offsets[s][1] <= answerStartChar) {
          s++;
        }
        int en = to - 1;
        while (en > s && offsets[en][0] >= answerEndChar) {
          en--;
        }
        start = contextStart + s - from;
        end = contextStart + en - from;
      }
      out.add(new Feature(e.index(), ids, -1, Double.NaN, null, null, start, end, contextStart,
          Arrays.copyOfRange(offsets, from, to)));
      if (to >= context.length) {
        break;
      }
    }
    return out;
  }

  /** The ids without the {@code <s>} and {@code </s>} the tokenizer wraps every text in. */
  private int[] body(Encoding e) {
    int[] ids = e.ids();
    int from = ids.length > 0 && ids[0] == specials.bos() ? 1 : 0;
    int to = ids.length > from && ids[ids.length - 1] == specials.eos() ? ids.length - 1 : ids.length;
    return Arrays.copyOfRange(ids, from, to);
  }

  private static int[] concat(int[]... parts) {
    int n = 0;
    for (int[] p : parts) {
      n += p.length;
    }
    int[] out = new int[n];
    int at = 0;
    for (int[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }
}
