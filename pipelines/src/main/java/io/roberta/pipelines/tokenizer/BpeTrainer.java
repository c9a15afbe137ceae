package io.roberta.pipelines.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Learns byte-level BPE merges from word counts with Hugging Face's algorithm ({@code
 * BpeTrainer::do_train} in the {@code tokenizers} crate): count every adjacent symbol pair, then
 * repeatedly merge the most frequent pair, updating only the words that contain it. Ties go to
 * the pair with the smaller ids (first id, then second), as in the reference, so the merges do
 * not depend on the order of the words or on how the corpus was split across workers.
 *
 * <p>The vocabulary is RoBERTa's: {@code <s>}=0, {@code <pad>}=1, {@code </s>}=2, {@code
 * <unk>}=3, the 256 byte characters in code point order, the merged tokens in the order they were
 * learned, and {@code <mask>} last. {@code vocabSize} counts all of them.
 *
 * <pre>{@code
 * BpeModel model = BpeTrainer.builder().vocabSize(8_000).minFrequency(2).build().train(counts);
 * }</pre>
 */
public final class BpeTrainer {

  private static final Logger LOG = LoggerFactory.getLogger(BpeTrainer.class);

  /** Special tokens at the start of the vocabulary, in id order. */
  public static final List<String> LEADING_SPECIALS = List.of("<s>", "<pad>", "</s>", "<unk>");

  /** The special token at the end of the vocabulary. */
  public static final String MASK = "<mask>";

  /** The smallest vocabulary: the four leading specials, 256 bytes and {@code <mask>}. */
  public static final int MIN_VOCAB_SIZE = LEADING_SPECIALS.size() + 256 + 1;

  private final int vocabSize;
  private final long minFrequency;

  private BpeTrainer(Builder b) {
    this.vocabSize = b.vocabSize;
    this.minFrequency = b.minFrequency;
  }

  public static Builder builder() {
    return new Builder();
  }

  public int vocabSize() {
    return vocabSize;
  }

  public long minFrequency() {
    return minFrequency;
  }

  /** Builder; every value is checked where it is set. */
  public static final class Builder {
    private int vocabSize = 50_265;
    private long minFrequency = 2;

    private Builder() {}

    /** Total vocabulary size, specials and the 256 bytes included (RoBERTa's is 50,265). */
    public Builder vocabSize(int vocabSize) {
      if (vocabSize < MIN_VOCAB_SIZE) {
        throw new IllegalArgumentException(
            "vocabSize must be at least " + MIN_VOCAB_SIZE + " (5 special tokens and 256 bytes),"
                + " got " + vocabSize);
      }
      this.vocabSize = vocabSize;
      return this;
    }

    /** A pair is merged only if it occurs at least this often (0 and 1 both mean any pair). */
    public Builder minFrequency(long minFrequency) {
      if (minFrequency < 0) {
        throw new IllegalArgumentException("minFrequency must be >= 0, got " + minFrequency);
      }
      this.minFrequency = minFrequency;
      return this;
    }

    public BpeTrainer build() {
      return new BpeTrainer(this);
    }
  }

  /**
   * Learns the merges.
   *
   * @throws IllegalArgumentException if {@code counts} is empty
   */
  public BpeModel train(WordCounts counts) {
    if (counts.isEmpty()) {
      throw new IllegalArgumentException(
          "The corpus is empty: there are no words to learn BPE merges from. Check that the input"
              + " files exist and hold text.");
    }
    long started = System.nanoTime();

    // Vocabulary: specials, then the byte alphabet sorted by code point (as the reference sorts
    // its alphabet), then merges.
    List<String> vocab = new ArrayList<>(LEADING_SPECIALS);
    Map<String, Integer> ids = new HashMap<>();
    for (String s : LEADING_SPECIALS) {
      ids.put(s, ids.size());
    }
    char[] alphabet = ByteLevel.alphabet();
    char[] sortedAlphabet = alphabet.clone();
    Arrays.sort(sortedAlphabet);
    for (char c : sortedAlphabet) {
      ids.put(String.valueOf(c), vocab.size());
      vocab.add(String.valueOf(c));
    }
    int[] byteToId = new int[256];
    for (int b = 0; b < 256; b++) {
      byteToId[b] = ids.get(String.valueOf(alphabet[b]));
    }

    // Words as symbol ids. Sorted so that nothing depends on the order the counts arrived in.
    List<Map.Entry<String, Long>> entries = counts.sorted();
    int numWords = entries.size();
    int[][] words = new int[numWords][];
    int[] lengths = new int[numWords];
    long[] wordCounts = new long[numWords];
    for (int w = 0; w < numWords; w++) {
      byte[] bytes = entries.get(w).getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8);
      int[] symbols = new int[bytes.length];
      for (int i = 0; i < bytes.length; i++) {
        symbols[i] = byteToId[bytes[i] & 0xff];
      }
      words[w] = symbols;
      lengths[w] = symbols.length;
      wordCounts[w] = entries.get(w).getValue();
    }
    entries = null; // the strings are no longer needed

    // Pair counts and, per pair, the words it occurs in.
    PairTable pairs = new PairTable(1 << 16);
    List<IntList> initialWhere = new ArrayList<>();
    for (int w = 0; w < numWords; w++) {
      int[] s = words[w];
      for (int i = 0; i + 1 < lengths[w]; i++) {
        int p = pairs.indexOf(s[i], s[i + 1]);
        pairs.count[p] += wordCounts[w];
        while (initialWhere.size() <= p) {
          initialWhere.add(new IntList());
        }
        initialWhere.get(p).addUnique(w);
      }
    }
    PriorityQueue<Merge> queue = new PriorityQueue<>(Math.max(1, pairs.size()), Merge.ORDER);
    for (int p = 0; p < pairs.size(); p++) {
      if (pairs.count[p] > 0) {
        queue.add(new Merge(p, pairs.key(p), pairs.count[p], initialWhere.get(p)));
      }
    }
    initialWhere = null;

    int target = vocabSize - 1; // leave room for <mask>
    int mergesWanted = target - vocab.size();
    List<String[]> merges = new ArrayList<>(Math.max(0, mergesWanted));
    long minCount = Math.max(1, minFrequency);
    Progress progress = new Progress(mergesWanted);
    IntList[] pending = new IntList[0];
    IntList touched = new IntList();
    while (vocab.size() < target && !queue.isEmpty()) {
      Merge top = queue.poll();
      long current = pairs.count[top.pair];
      if (top.count != current) {
        top.count = current;
        queue.add(top);
        continue;
      }
      if (top.count < minCount) {
        break;
      }
      int a = (int) (top.key >>> 32);
      int b = (int) top.key;
      String token = vocab.get(a) + vocab.get(b);
      Integer existing = ids.get(token);
      int newId;
      if (existing != null) {
        newId = existing; // two merges can spell the same token; the reference keeps one id
      } else {
        newId = vocab.size();
        ids.put(token, newId);
        vocab.add(token);
      }
      merges.add(new String[] {vocab.get(a), vocab.get(b)});

      // Merge in every word that (still) holds the pair; collect the pairs this creates.
      IntList where = top.where;
      for (int k = 0; k < where.size; k++) {
        int w = where.items[k];
        int[] s = words[w];
        int len = lengths[w];
        long wc = wordCounts[w];
        int i = 0;
        while (i < len) {
          if (s[i] == a && i + 1 < len && s[i + 1] == b) {
            if (i > 0) {
              pairs.count[pairs.indexOf(s[i - 1], a)] -= wc;
              int p = pairs.indexOf(s[i - 1], newId);
              pairs.count[p] += wc;
              pending = note(pending, touched, p, w);
            }
            s[i] = newId;
            System.arraycopy(s, i + 2, s, i + 1, len - i - 2);
            len--;
            if (i < len - 1) {
              pairs.count[pairs.indexOf(b, s[i + 1])] -= wc;
              int p = pairs.indexOf(newId, s[i + 1]);
              pairs.count[p] += wc;
              pending = note(pending, touched, p, w);
            }
          }
          i++;
        }
        lengths[w] = len;
      }
      for (int t = 0; t < touched.size; t++) {
        int p = touched.items[t];
        if (pairs.count[p] > 0) {
          queue.add(new Merge(p, pairs.key(p), pairs.count[p], pending[p]));
        }
        pending[p] = null;
      }
      touched.size = 0;
      progress.update(merges.size());
    }

    boolean exhausted = vocab.size() < target;
    vocab.add(MASK);
    double seconds = (System.nanoTime() - started) / 1e9;
    LOG.info(
        "Learned {} merges from {} distinct words ({} in all) in {} s: vocabulary of {}{}",
        merges.size(), numWords, counts.total(), String.format("%.1f", seconds), vocab.size(),
        exhausted ? " (the corpus supports no more than this; " + vocabSize + " was asked)" : "");
    return new BpeModel(vocab, merges, vocabSize, minFrequency, numWords, counts.total());
  }

  private static IntList[] note(IntList[] pending, IntList touched, int pair, int word) {
    if (pair >= pending.length) {
      pending = Arrays.copyOf(pending, Math.max(pair + 1, pending.length * 2));
    }
    IntList list = pending[pair];
    if (list == null) {
      list = new IntList();
      pending[pair] = list;
      touched.add(pair);
    }
    list.addUnique(word);
    return pending;
  }

  /** A queue entry: a pair, its count when queued, and the words that may hold it. */
  private static final class Merge {
    /** Highest count first; ties to the smaller pair of ids, as the reference. */
    static final java.util.Comparator<Merge> ORDER =
        (x, y) -> x.count != y.count ? Long.compare(y.count, x.count) : Long.compare(x.key, y.key);

    final int pair;
    final long key;
    long count;
    final IntList where;

    Merge(int pair, long key, long count, IntList where) {
      this.pair = pair;
      this.key = key;
      this.count = count;
      this.where = where;
    }
  }

  /** Growable int list; {@link #addUnique} skips a repeat of the last value. */
  static final class IntList {
    int[] items = new int[4];
    int size;

    void add(int v) {
      if (size == items.length) {
        items = Arrays.copyOf(items, size * 2);
      }
      items[size++] = v;
    }

    void addUnique(int v) {
      if (size == 0 || items[size - 1] != v) {
        add(v);
      }
    }
  }

  /**
   * Open-addressing map from a pair of ids, packed in a long (first id high), to a dense index,
   * plus the pair's count at that index. Avoids a boxed {@code Long} per pair and per update.
   */
  static final class PairTable {
    private long[] slots; // key + 1, 0 = empty
    private int[] slotIndex;
    private long[] keys = new long[1024];
    long[] count = new long[1024];
    private int size;

    PairTable(int capacity) {
      int cap = Integer.highestOneBit(Math.max(16, capacity) * 2 - 1);
      slots = new long[cap];
      slotIndex = new int[cap];
    }

    int size() {
      return size;
    }

    long key(int index) {
      return keys[index];
    }

    int indexOf(int a, int b) {
      long key = ((long) a << 32) | (b & 0xffffffffL);
      int mask = slots.length - 1;
      int h = hash(key) & mask;
      while (true) {
        long s = slots[h];
        if (s == 0) {
          return insert(key, h);
        }
        if (s == key + 1) {
          return slotIndex[h];
        }
        h = (h + 1) & mask;
      }
    }

    private int insert(long key, int h) {
      if (size == keys.length) {
        keys = Arrays.copyOf(keys, size * 2);
        count = Arrays.copyOf(count, size * 2);
      }
      int index = size++;
      keys[index] = key;
      slots[h] = key + 1;
      slotIndex[h] = index;
      if (size * 2 > slots.length) {
        rehash();
      }
      return index;
    }

    private void rehash() {
      long[] oldSlots = slots;
      int[] oldIndex = slotIndex;
      slots = new long[oldSlots.length * 2];
      slotIndex = new int[oldSlots.length * 2];
      int mask = slots.length - 1;
      for (int i = 0; i < oldSlots.length; i++) {
        if (oldSlots[i] != 0) {
          int h = hash(oldSlots[i] - 1) & mask;
          while (slots[h] != 0) {
            h = (h + 1) & mask;
          }
          slots[h] = oldSlots[i];
          slotIndex[h] = oldIndex[i];
        }
      }
    }

    private static int hash(long key) {
      long h = key * 0x9E3779B97F4A7C15L;
      return (int) (h ^ (h >>> 29));
    }
  }

  /** Logs a line with rate and ETA every few seconds while merges are learned. */
  private static final class Progress {
    private final int total;
    private final long start = System.nanoTime();
    private long lastLog = start;

    Progress(int total) {
      this.total = total;
    }

    void update(int done) {
      if ((done & 255) != 0) {
        return;
      }
      long now = System.nanoTime();
      if (now - lastLog < 5_000_000_000L) {
        return;
      }
      lastLog = now;
      double seconds = (now - start) / 1e9;
      double rate = done / seconds;
      LOG.info(
          "BPE: {} of {} merges ({} merges/s, about {} s left)",
          done, total, Math.round(rate), Math.round((total - done) / Math.max(rate, 1e-9)));
    }
  }
}
