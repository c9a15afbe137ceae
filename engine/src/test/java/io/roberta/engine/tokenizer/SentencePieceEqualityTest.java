package io.roberta.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A real SentencePiece model (unigram, 4,000 pieces, trained by {@code spm_train} on Moby-Dick
 * and the State of the Union addresses; {@code tokenizer/spm/make.py} holds the exact command)
 * segments every line of every shared file (Brown, which it never saw, included) as {@code
 * spm_encode} did: the same pieces, and ids that are {@code spm_encode}'s moved to XLM-R's layout.
 * {@code spm-encode.tsv} holds per file the line and piece counts and the SHA-256 of {@code
 * spm_encode}'s id and piece output.
 */
class SentencePieceEqualityTest {
  static final Path SPM = Path.of("src/test/resources/tokenizer/spm");

  static Path sharedData() {
    for (String candidate : new String[] {"../../shared/data", "../shared/data"}) {
      if (Files.isDirectory(Path.of(candidate, "brown"))) {
        return Path.of(candidate);
      }
    }
    throw new IllegalStateException("../shared/data not found from " + Path.of("").toAbsolutePath());
  }

  /** The lines make.py gives spm_encode: split on \n, a trailing \r dropped, blank lines skipped. */
  static List<String> lines(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    if (file.toString().endsWith(".json")) {
      text = new ObjectMapper().readTree(text).get("text").asText();
    }
    List<String> out = new ArrayList<>();
    for (String line : text.split("\n", -1)) {
      line = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
      if (!line.isBlank()) {
        out.add(line);
      }
    }
    return out;
  }

  @Test
  void idsAndPiecesEqualSpmEncodeOnEverySharedFile() throws Exception {
    Path data = sharedData();
    List<String> rows = Files.readAllLines(SPM.resolve("spm-encode.tsv")).stream().filter(l -> !l.startsWith("#")).toList();
    assertTrue(rows.size() > 800, rows.size() + " files in spm-encode.tsv");
    List<String> differ = new ArrayList<>();
    long pieces = 0;
    try (RobertaTokenizer tokenizer = RobertaTokenizer.load(SPM.resolve("xlmr-tiny.model"))) {
      assertEquals(4002, tokenizer.vocabSize()); // 4,000 pieces, <pad> and <mask> added as XLM-R does
      assertEquals("<mask>", tokenizer.idToToken(4001));
      for (String row : rows) {
        String[] f = row.split("\t");
        List<String> lines = lines(data.resolve(f[0]));
        StringBuilder ids = new StringBuilder();
        StringBuilder tokens = new StringBuilder();
        long count = 0;
        for (String line : lines) {
          Encoding e = tokenizer.encode(line);
          for (int i = 1; i < e.length() - 1; i++) { // without the <s> and </s> SentencePiece does not add
            int id = e.ids()[i];
            ids.append(i > 1 ? " " : "").append(id == FairseqIds.UNK ? 0 : id - FairseqIds.OFFSET);
            tokens.append(i > 1 ? " " : "").append(e.tokens()[i]);
            count++;
          }
          ids.append('\n');
          tokens.append('\n');
        }
        pieces += count;
        String got = lines.size() + "\t" + count + "\t" + sha256(ids) + "\t" + sha256(tokens);
        if (!got.equals(f[1] + "\t" + f[2] + "\t" + f[3] + "\t" + f[4])) {
          differ.add(f[0] + ": spm_encode " + String.join(" ", f[1], f[2], f[3].substring(0, 8), f[4].substring(0, 8))
              + ", ours " + got.replace('\t', ' '));
        }
      }
    }
    assertTrue(differ.isEmpty(), differ.size() + " of " + rows.size() + " files differ:\n"
        + String.join("\n", differ.subList(0, Math.min(10, differ.size()))));
    assertTrue(pieces > 1_000_000, pieces + " pieces compared");
  }

  /** {@code <mask>} is one token that takes the space before it, as XLM-R's added token does. */
  @Test
  void maskIsOneTokenAsInXlmr() {
    try (RobertaTokenizer tokenizer = RobertaTokenizer.load(SPM.resolve("xlmr-tiny.model"))) {
      String text = "Call me <mask>. Some years ago";
      Encoding e = tokenizer.encode(text);
      int[] before = tokenizer.encode("Call me").ids();
      int[] after = tokenizer.encode(". Some years ago").ids();
      int[] want = new int[before.length + after.length - 1];
      System.arraycopy(before, 0, want, 0, before.length - 1);
      want[before.length - 1] = 4001;
      System.arraycopy(after, 1, want, before.length, after.length - 1);
      org.junit.jupiter.api.Assertions.assertArrayEquals(want, e.ids());
      int mask = before.length - 1;
      assertEquals("<mask>", e.tokens()[mask]);
      assertEquals("<mask>", text.substring(e.offsets()[mask][0], e.offsets()[mask][1]));
      int some = java.util.Arrays.asList(e.tokens()).indexOf("\u2581Some");
      assertTrue(some > mask, java.util.Arrays.toString(e.tokens()));
      assertEquals("Some", text.substring(e.offsets()[some][0], e.offsets()[some][1]).strip());
    }
  }

  private static String sha256(CharSequence s) throws NoSuchAlgorithmException {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.toString().getBytes(StandardCharsets.UTF_8)));
  }
}
