package io.roberta.pipelines.corpus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.roberta.pipelines.tokenizer.ByteLevel;
import io.roberta.pipelines.tokenizer.ByteLevelPreTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Byte-level BPE encoding in Java with a word cache: GPT-2's pre-tokenizer splits the text into
 * words, and each distinct word is merged once and remembered, since most words repeat. Gives
 * the ids Hugging Face's library gives (checked token for token against it on the whole shared
 * corpus), for the one shape of {@code tokenizer.json} it accepts: model BPE without dropout,
 * prefixes, suffixes, byte fallback or ignore_merges; no normalizer; a {@code ByteLevel}
 * pre-tokenizer with {@code use_regex}. Anything else, and any text that holds an added token
 * ({@code <s>}, {@code <mask>}, ...) or a lone surrogate, goes to the Hugging Face library through
 * DJL.
 *
 * <pre>{@code
 * TokenEncoder encoder = ByteLevelBpe.tryLoad(Path.of("tokenizer.json")); // null if unsupported
 * }</pre>
 */
final class ByteLevelBpe implements TokenEncoder {
  /** Distinct words remembered; the cache starts over when full. */
  static final int CACHE_WORDS = 1 << 20;

  private final Path file;
  private final Map<String, Integer> vocab;
  private final MergeTable merges;
  private final int[] byteCharId; // [256] id of each byte's character, -1 when not in the vocabulary
  private final int unk; // -1: unknown symbols are dropped, as the library does without unk_token
  private final boolean fuseUnk;
  private final boolean addPrefixSpace;
  private final List<String> addedTokens;
  private final Map<String, Integer> addedIds;
  private final int vocabSize;
  private final HashMap<String, int[]> cache = new HashMap<>();
  private TokenEncoder fallback;

  private ByteLevelBpe(Path file, Map<String, Integer> vocab, MergeTable merges, int unk, boolean fuseUnk,
      boolean addPrefixSpace, Map<String, Integer> addedIds) {
    this.file = file;
    this.vocab = vocab;
    this.merges = merges;
    this.unk = unk;
    this.fuseUnk = fuseUnk;
    this.addPrefixSpace = addPrefixSpace;
    this.addedIds = addedIds;
    this.addedTokens = List.copyOf(addedIds.keySet());
    int max = -1;
    for (int id : vocab.values()) {
      max = Math.max(max, id);
    }
    for (int id : addedIds.values()) {
      max = Math.max(max, id);
    }
    this.vocabSize = max + 1;
    this.byteCharId = new int[256];
    for (int b = 0; b < 256; b++) {
      byteCharId[b] = vocab.getOrDefault(String.valueOf(ByteLevel.charOf(b)), -1);
    }
  }

  /** The same tables (read-only, shared) with a word cache of its own. */
  private ByteLevelBpe(ByteLevelBpe model) {
    this.file = model.file;
    this.vocab = model.vocab;
    this.merges = model.merges;
    this.byteCharId = model.byteCharId;
    this.unk = model.unk;
    this.fuseUnk = model.fuseUnk;
    this.addPrefixSpace = model.addPrefixSpace;
    this.addedIds = model.addedIds;
    this.addedTokens = model.addedTokens;
    this.vocabSize = model.vocabSize;
  }

  // Parsed tables by file identity: every DoFn instance in a JVM (and the driver) shares one parse.
  private static final java.util.concurrent.ConcurrentHashMap<String, java.util.Optional<ByteLevelBpe>> LOADED =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** The encoder for a tokenizer.json it reproduces exactly, else null. */
  static ByteLevelBpe tryLoad(Path tokenizer) {
    Path file = Files.isDirectory(tokenizer) ? tokenizer.resolve("tokenizer.json") : tokenizer;
    if (!Files.isRegularFile(file) || !file.getFileName().toString().endsWith(".json")) {
      return null;
    }
    String key;
    try {
      key = file.toAbsolutePath() + "|" + Files.size(file) + "|" + Files.getLastModifiedTime(file).toMillis();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read tokenizer " + file, e);
    }
    java.util.Optional<ByteLevelBpe> model = LOADED.computeIfAbsent(key, k -> java.util.Optional.ofNullable(parse(file)));
    return model.map(ByteLevelBpe::new).orElse(null);
  }

  private static ByteLevelBpe parse(Path file) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read tokenizer " + file, e);
    }
    JsonNode model = root.path("model");
    JsonNode pre = root.path("pre_tokenizer");
    JsonNode post = root.path("post_processor");
    boolean supported =
        "BPE".equals(model.path("type").asText())
            && model.path("dropout").isNull()
            && empty(model.path("continuing_subword_prefix"))
            && empty(model.path("end_of_word_suffix"))
            && !model.path("byte_fallback").asBoolean(false)
            && !model.path("ignore_merges").asBoolean(false)
            && (root.path("normalizer").isNull() || root.path("normalizer").isMissingNode())
            && "ByteLevel".equals(pre.path("type").asText())
            && pre.path("use_regex").asBoolean(true)
            && ("RobertaProcessing".equals(post.path("type").asText())
                || "BertProcessing".equals(post.path("type").asText()));
    if (!supported) {
      return null;
    }
    Map<String, Integer> vocab = new HashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = model.path("vocab").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      vocab.put(e.getKey(), e.getValue().asInt());
    }
    MergeTable merges = new MergeTable(model.path("merges").size());
    int rank = 0;
    for (JsonNode m : model.path("merges")) {
      String left;
      String right;
      if (m.isArray()) {
        left = m.get(0).asText();
        right = m.get(1).asText();
      } else {
        String s = m.asText();
        int space = s.indexOf(' ');
        left = s.substring(0, space);
        right = s.substring(space + 1);
      }
      Integer a = vocab.get(left);
      Integer b = vocab.get(right);
      Integer ab = vocab.get(left + right);
      if (a == null || b == null || ab == null) {
        return null; // the library would refuse it; let it say why
      }
      merges.putIfAbsent(a, b, rank, ab);
      rank++;
    }
    int unk = -1;
    if (!model.path("unk_token").isNull() && !model.path("unk_token").isMissingNode()) {
      Integer id = vocab.get(model.path("unk_token").asText());
      if (id == null) {
        return null;
      }
      unk = id;
    }
    Map<String, Integer> added = new java.util.LinkedHashMap<>();
    for (JsonNode a : root.path("added_tokens")) {
      added.put(a.path("content").asText(), a.path("id").asInt());
    }
    return new ByteLevelBpe(
        file, vocab, merges, unk, model.path("fuse_unk").asBoolean(false), pre.path("add_prefix_space").asBoolean(false), added);
  }

  /** Largest id + 1, added tokens included: what {@code RobertaTokenizer.vocabSize()} reports. */
  int vocabSize() {
    return vocabSize;
  }

  /** The id of a token (added tokens first), or -1. */
  int tokenToId(String token) {
    Integer id = addedIds.get(token);
    return id != null ? id : vocab.getOrDefault(token, -1);
  }

  Path file() {
    return file;
  }

  private static boolean empty(JsonNode n) {
    return n.isNull() || n.isMissingNode() || n.asText().isEmpty();
  }

  private static long pair(int a, int b) {
    return ((long) a << 32) | (b & 0xffffffffL);
  }

  @Override
  public List<int[]> encodeBatch(List<String> texts) {
    List<int[]> out = new ArrayList<>(texts.size());
    for (String t : texts) {
      out.add(encode(t));
    }
    return out;
  }

  /** Ids of {@code text} without {@code <s>} and {@code </s>}. */
  int[] encode(String text) {
    boolean delegate = hasUnpairedSurrogate(text);
    for (int i = 0; i < addedTokens.size() && !delegate; i++) {
      delegate = text.contains(addedTokens.get(i));
    }
    {
      if (delegate) {
        if (fallback == null) {
          fallback = TokenEncoder.djl(file);
        }
        return fallback.encodeBatch(List.of(text)).get(0);
      }
    }
    String s = addPrefixSpace && !text.isEmpty() && text.charAt(0) != ' ' ? " " + text : text;
    IntList ids = new IntList(s.length() / 3 + 8);
    ByteLevelPreTokenizer.split(s, word -> {
      int[] cached = cache.get(word);
      if (cached == null) {
        cached = bpe(word);
        if (cache.size() >= CACHE_WORDS) {
          cache.clear();
        }
        cache.put(word, cached);
      }
      ids.addAll(cached);
    });
    return ids.toArray();
  }

  /** Java and the native library disagree on how to turn a lone surrogate into bytes. */
  private static boolean hasUnpairedSurrogate(String s) {
    for (int i = 0, n = s.length(); i < n; i++) {
      char c = s.charAt(i);
      if (Character.isSurrogate(c)) {
        if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
        } else {
          return true;
        }
      }
    }
    return false;
  }

  /** One pre-token through byte mapping and the merges, lowest rank first. */
  int[] bpe(String word) {
    byte[] bytes = word.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    int[] sym = new int[bytes.length];
    int n = 0;
    boolean lastUnk = false;
    for (byte b : bytes) {
      int id = byteCharId[b & 0xff];
      if (id >= 0) {
        sym[n++] = id;
        lastUnk = false;
      } else if (unk >= 0) {
        if (!(fuseUnk && lastUnk)) {
          sym[n++] = unk;
        }
        lastUnk = true;
      }
    }
    while (n > 1) {
      long bestRank = Long.MAX_VALUE;
      int left = -1;
      int right = -1;
      int bestMerged = -1;
      for (int i = 0; i + 1 < n; i++) {
        long m = merges.get(sym[i], sym[i + 1]);
        if (m >= 0 && (m >>> 32) < bestRank) {
          bestRank = m >>> 32;
          left = sym[i];
          right = sym[i + 1];
          bestMerged = (int) m;
        }
      }
      if (bestMerged < 0) {
        break;
      }
      int w = 0;
      for (int i = 0; i < n; i++) {
        if (i + 1 < n && sym[i] == left && sym[i + 1] == right) {
          sym[w++] = bestMerged;
          i++;
        } else {
          sym[w++] = sym[i];
        }
      }
      n = w;
    }
    return java.util.Arrays.copyOf(sym, n);
  }

  @Override
  public void close() {
    cache.clear();
    if (fallback != null) {
      fallback.close();
    }
  }

  /** (left id, right id) to (rank, merged id), open addressing on primitive longs. */
  static final class MergeTable {
    private final long[] keys;
    private final long[] values;
    private final int mask;

    MergeTable(int expected) {
      int capacity = Integer.highestOneBit(Math.max(16, expected * 2 + 1)) << 1;
      keys = new long[capacity];
      values = new long[capacity];
      java.util.Arrays.fill(keys, -1L);
      mask = capacity - 1;
    }

    private int slot(long key) {
      long h = key * 0x9E3779B97F4A7C15L;
      return (int) (h >>> 40) & mask;
    }

    void putIfAbsent(int left, int right, int rank, int merged) {
      long key = pair(left, right);
      int i = slot(key);
      while (keys[i] != -1L) {
        if (keys[i] == key) {
          return;
        }
        i = (i + 1) & mask;
      }
      keys[i] = key;
      values[i] = ((long) rank << 32) | (merged & 0xffffffffL);
    }

    /** {@code rank << 32 | merged id}, or -1 when the pair does not merge. */
    long get(int left, int right) {
      long key = pair(left, right);
      int i = slot(key);
      long k;
      while ((k = keys[i]) != -1L) {
        if (k == key) {
          return values[i];
        }
        i = (i + 1) & mask;
      }
      return -1L;
    }
  }

  private static final class IntList {
    private int[] a;
    private int n;

    IntList(int capacity) {
      a = new int[Math.max(8, capacity)];
    }

    void addAll(int[] xs) {
      if (n + xs.length > a.length) {
        a = java.util.Arrays.copyOf(a, Math.max(a.length * 2, n + xs.length));
      }
      System.arraycopy(xs, 0, a, n, xs.length);
      n += xs.length;
    }

    int[] toArray() {
      return java.util.Arrays.copyOf(a, n);
    }
  }
}
