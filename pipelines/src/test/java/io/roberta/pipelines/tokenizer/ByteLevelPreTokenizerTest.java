package io.roberta.pipelines.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ByteLevelPreTokenizerTest {

  /** GPT-2's expression with {@code \s} spelled as Unicode White_Space, as the reference means it. */
  private static final String WS = "[\\t-\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]";
  private static final Pattern GPT2 = Pattern.compile(
      "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^" + WS.substring(1, WS.length() - 1)
          + "\\p{L}\\p{N}]+|" + WS + "+(?!" + "[^" + WS.substring(1, WS.length() - 1) + "])|" + WS + "+");

  static List<String> split(String text) {
    List<String> out = new ArrayList<>();
    ByteLevelPreTokenizer.split(text, out::add);
    return out;
  }

  static List<String> regexSplit(String text) {
    List<String> out = new ArrayList<>();
    Matcher m = GPT2.matcher(text);
    while (m.find()) {
      out.add(m.group());
    }
    return out;
  }

  @Test
  void matchesHuggingFaceOnTrickyText() throws IOException {
    JsonNode samples;
    try (InputStream in = getClass().getResourceAsStream("/tokenizer/pretokenized.json")) {
      samples = new ObjectMapper().readTree(in);
    }
    for (JsonNode sample : samples) {
      String text = sample.get("text").asText();
      List<String> expected = new ArrayList<>();
      sample.get("tokens").forEach(t -> expected.add(t.asText()));
      List<String> actual = split(text).stream().map(ByteLevel::encode).toList();
      assertEquals(expected, actual, text);
    }
  }

  @Test
  void matchesTheRegularExpressionOnRandomText() {
    String alphabet = "aZé東1½٣ \t\n\r\u00a0\u3000'srtvmld.,!-🐳\u0301\u0000_";
    int[] cps = alphabet.codePoints().toArray();
    Random random = new Random(42);
    for (int trial = 0; trial < 3000; trial++) {
      StringBuilder sb = new StringBuilder();
      int len = random.nextInt(20);
      for (int i = 0; i < len; i++) {
        sb.appendCodePoint(cps[random.nextInt(cps.length)]);
      }
      String text = sb.toString();
      List<String> words = split(text);
      assertEquals(regexSplit(text), words, () -> "text: " + escape(text));
      assertEquals(text, String.join("", words));
    }
  }

  @Test
  void cuttingAtSafePointsKeepsTheWords() {
    String text = "It's a   whale, 'tis\ttrue: 1,000 whales   and\n\n  one 🐳 ship. The end ";
    List<String> whole = split(text);
    for (int i = 0; i < text.length(); i++) {
      if (ByteLevelPreTokenizer.isSafeCut(text, i)) {
        List<String> parts = new ArrayList<>(split(text.substring(0, i)));
        parts.addAll(split(text.substring(i)));
        assertEquals(whole, parts, "cut at " + i);
      }
    }
    assertTrue(ByteLevelPreTokenizer.isSafeCut(text, text.indexOf(" ship")));
  }

  @Test
  void byteLevelMapsSpaceToGAndKeepsPrintableAscii() {
    assertEquals("Ġworld", ByteLevel.encode(" world"));
    assertEquals("Ċ", ByteLevel.encode("\n"));
    assertEquals(256, new String(ByteLevel.alphabet()).chars().distinct().count());
  }

  private static String escape(String s) {
    StringBuilder sb = new StringBuilder();
    s.codePoints().forEach(cp -> sb.append(cp < 0x20 || cp > 0x7e ? String.format("\\u{%x}", cp) : Character.toString(cp)));
    return sb.toString();
  }
}
