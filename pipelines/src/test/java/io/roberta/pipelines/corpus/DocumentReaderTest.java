package io.roberta.pipelines.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.spec.SourceSpec.DocumentUnit;
import io.roberta.spec.SourceSpec.InvalidUtf8;
import io.roberta.spec.SourceSpec.Oversized;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DocumentReaderTest {

  private static List<Document> text(String content, DocumentUnit unit, int limit) throws IOException {
    return text(content.getBytes(StandardCharsets.UTF_8), unit, limit);
  }

  private static List<Document> text(byte[] content, DocumentUnit unit, int limit) throws IOException {
    List<Document> out = new ArrayList<>();
    new DocumentReader("s", limit).readText("f", new ByteArrayInputStream(content), unit, out::add);
    return out;
  }

  private static List<String> texts(List<Document> docs) {
    return docs.stream().map(Document::text).toList();
  }

  @Test
  void unitsCutFilesIntoDocuments() throws IOException {
    String file = "\uFEFFFirst line\r\nsecond line\n\n  \nThird para\nstill third\n";
    assertEquals(List.of("First line\r\nsecond line\n\n  \nThird para\nstill third\n"), texts(text(file, DocumentUnit.FILE, 1000)));
    assertEquals(List.of("First line", "second line", "Third para", "still third"), texts(text(file, DocumentUnit.LINE, 1000)));
    List<Document> paragraphs = text(file, DocumentUnit.PARAGRAPH, 1000);
    assertEquals(List.of("First line\nsecond line", "Third para\nstill third"), texts(paragraphs));
    assertEquals(List.of("f:1", "f:5"), paragraphs.stream().map(Document::id).toList());
  }

  @Test
  void lastLineWithoutNewlineIsADocument() throws IOException {
    assertEquals(List.of("a", "b"), texts(text("a\nb", DocumentUnit.LINE, 10)));
  }

  @Test
  void emptyFileIsOneEmptyDocumentWhateverTheUnit() throws IOException {
    for (DocumentUnit unit : DocumentUnit.values()) {
      List<Document> docs = text(new byte[0], unit, 10);
      assertEquals(1, docs.size(), unit.name());
      assertEquals(DropReason.EMPTY, docs.get(0).problem());
    }
  }

  @Test
  void binaryFileIsOneRejectedDocumentAndIsReadToTheEnd() throws IOException {
    byte[] random = new byte[100_000];
    new Random(1).nextBytes(random);
    for (DocumentUnit unit : DocumentUnit.values()) {
      List<Document> docs = text(random, unit, 1 << 20);
      assertEquals(1, docs.size());
      assertEquals(DropReason.BINARY, docs.get(0).problem());
      assertEquals(100_000, docs.get(0).bytes());
    }
    byte[] utf16 = "Call me Ishmael. Some years ago".getBytes(StandardCharsets.UTF_16LE);
    assertEquals(DropReason.BINARY, text(utf16, DocumentUnit.FILE, 1000).get(0).problem());
  }

  @Test
  void textWithAFewNulBytesIsText() throws IOException {
    String s = "Call me Ishmael.\0 Some years ago, never mind how long precisely.\n";
    List<Document> docs = text(s, DocumentUnit.FILE, 1000);
    assertNull(docs.get(0).problem());
    assertTrue(docs.get(0).text().contains("\0"));
  }

  @Test
  void invalidUtf8IsRejectedPerDocument() throws IOException {
    byte[] good = "good line\n".getBytes(StandardCharsets.UTF_8);
    byte[] bad = {'b', 'a', 'd', (byte) 0xC3, (byte) 0x28, '\n'};
    byte[] both = new byte[good.length + bad.length];
    System.arraycopy(good, 0, both, 0, good.length);
    System.arraycopy(bad, 0, both, good.length, bad.length);
    List<Document> lines = text(both, DocumentUnit.LINE, 100);
    assertEquals(2, lines.size());
    assertNull(lines.get(0).problem());
    assertEquals(DropReason.INVALID_UTF8, lines.get(1).problem());
    assertEquals(DropReason.INVALID_UTF8, text(both, DocumentUnit.FILE, 100).get(0).problem());
    assertEquals("é ü 水 😀", texts(text("é ü 水 😀", DocumentUnit.FILE, 100)).get(0));
  }

  @Test
  void oversizedDocumentsAreStreamedPastAndCounted() throws IOException {
    String longLine = "x".repeat(5000);
    List<Document> lines = text("short\n" + longLine + "\nafter\n", DocumentUnit.LINE, 100);
    assertEquals(List.of("short", "", "after"), texts(lines));
    assertEquals(DropReason.OVERSIZED, lines.get(1).problem());
    assertEquals(5001, lines.get(1).bytes());
    assertEquals(DropReason.OVERSIZED, text(longLine, DocumentUnit.FILE, 100).get(0).problem());
    assertEquals(5000, text(longLine, DocumentUnit.FILE, 100).get(0).bytes());
    List<Document> paragraphs = text("a\n" + "y".repeat(60) + "\n" + "z".repeat(60) + "\n\nb\n", DocumentUnit.PARAGRAPH, 100);
    assertEquals(List.of(DropReason.OVERSIZED), paragraphs.stream().map(Document::problem).filter(p -> p != null).toList());
    assertEquals("b", paragraphs.get(1).text());
  }

  @Test
  void aHugeLineCostsOneBufferNotItsSize() throws IOException {
    long size = 300L << 20; // 300 MB of 'a', generated, never materialized
    InputStream huge =
        new InputStream() {
          long left = size;

          @Override
          public int read() {
            return left-- > 0 ? 'a' : -1;
          }

          @Override
          public int read(byte[] b, int off, int len) {
            if (left <= 0) {
              return -1;
            }
            int n = (int) Math.min(len, left);
            java.util.Arrays.fill(b, off, off + n, (byte) 'a');
            left -= n;
            return n;
          }
        };
    List<Document> out = new ArrayList<>();
    new DocumentReader("s", 1 << 20).readText("huge", huge, DocumentUnit.LINE, out::add);
    assertEquals(1, out.size());
    assertEquals(DropReason.OVERSIZED, out.get(0).problem());
    assertEquals(size, out.get(0).bytes());
  }

  @Test
  void jsonLinesTakeTheNamedFieldAndRejectWhatTheyCannotRead() throws IOException {
    String jsonl =
        "{\"text\": \"one\", \"year\": 1790}\n"
            + "\n"
            + "{\"text\": 2}\n"
            + "{\"title\": \"no text\"}\n"
            + "{not json\n"
            + "{\"text\": \"two\\nlines\"}\n";
    List<Document> out = new ArrayList<>();
    new DocumentReader("sotu", 1000)
        .readJsonLines("f", new ByteArrayInputStream(jsonl.getBytes(StandardCharsets.UTF_8)), "text", out::add);
    assertEquals(5, out.size());
    assertEquals("one", out.get(0).text());
    assertEquals(DropReason.MISSING_FIELD, out.get(1).problem());
    assertEquals(DropReason.MISSING_FIELD, out.get(2).problem());
    assertEquals(DropReason.INVALID_JSON, out.get(3).problem());
    assertEquals("two\nlines", out.get(4).text());
    assertEquals("f:6", out.get(4).id());
  }

  @Test
  void binarySniffing() {
    byte[] text = "plain text\twith tabs\r\n".getBytes(StandardCharsets.US_ASCII);
    assertFalse(DocumentReader.looksBinary(text, text.length));
    byte[] controls = new byte[100];
    java.util.Arrays.fill(controls, (byte) 0x01);
    assertTrue(DocumentReader.looksBinary(controls, 100));
  }

  // ---- reading policies (issue 16) -------------------------------------------------------------

  private static List<Document> read(byte[] content, DocumentUnit unit, int limit, InvalidUtf8 utf8,
      Oversized oversized) throws IOException {
    List<Document> out = new ArrayList<>();
    new DocumentReader("s", limit, utf8, oversized)
        .readText("f", new ByteArrayInputStream(content), unit, out::add);
    return out;
  }

  @Test
  void invalidUtf8CanBeReplacedInsteadOfDroppingTheDocument() throws IOException {
    // a whole file with two bad bytes: dropped by default, kept with U+FFFD when chosen
    byte[] file = "Call me Ishmael. Some years ago\u2014never mind how long \u00e9 ".getBytes(StandardCharsets.UTF_8);
    byte[] bad = java.util.Arrays.copyOf(file, file.length + 2);
    bad[file.length] = (byte) 0xC3;
    bad[file.length + 1] = (byte) 0x28;
    assertEquals(DropReason.INVALID_UTF8, read(bad, DocumentUnit.FILE, 1000, InvalidUtf8.DROP, Oversized.DROP).get(0).problem());
    for (DocumentUnit unit : DocumentUnit.values()) {
      List<Document> kept = read(bad, unit, 1000, InvalidUtf8.REPLACE, Oversized.DROP);
      assertEquals(1, kept.size(), unit.toString());
      assertNull(kept.get(0).problem());
      assertTrue(kept.get(0).text().endsWith("\uFFFD("), kept.get(0).text());
      assertTrue(kept.get(0).has(Document.Repair.UTF8_REPLACED));
      assertEquals(bad.length, kept.get(0).bytes());
    }
    // valid text is not marked
    assertFalse(read(file, DocumentUnit.FILE, 1000, InvalidUtf8.REPLACE, Oversized.DROP).get(0).has(Document.Repair.UTF8_REPLACED));
    List<Document> json = new ArrayList<>();
    byte[] jsonLine = "{\"text\": \"ab\u00ff\"}\n".getBytes(StandardCharsets.ISO_8859_1);
    new DocumentReader("s", 1000, InvalidUtf8.REPLACE, Oversized.DROP)
        .readJsonLines("j", new ByteArrayInputStream(jsonLine), "text", json::add);
    assertEquals("ab\uFFFD", json.get(0).text());
    assertTrue(json.get(0).has(Document.Repair.UTF8_REPLACED));
  }

  @Test
  void anOversizedLineCanBeSplitAtSentenceEndsLosingNoByte() throws IOException {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; sb.length() < 5000; i++) {
      sb.append("Sentence number ").append(i).append(" ends here. ");
    }
    String line = sb.toString().strip();
    byte[] content = ("short\n" + line + "\nafter\n").getBytes(StandardCharsets.UTF_8);
    List<Document> docs = read(content, DocumentUnit.LINE, 100, InvalidUtf8.DROP, Oversized.SPLIT);
    assertEquals("short", docs.get(0).text());
    assertEquals("after", docs.get(docs.size() - 1).text());
    List<Document> pieces = docs.subList(1, docs.size() - 1);
    assertTrue(pieces.size() >= 50, "pieces: " + pieces.size());
    assertEquals(line, String.join("", texts(pieces)), "the pieces are the line, in order");
    for (int i = 0; i < pieces.size(); i++) {
      Document p = pieces.get(i);
      assertNull(p.problem());
      assertTrue(p.has(Document.Repair.SPLIT_PIECE));
      assertEquals("f:2#" + (i + 1), p.id());
      assertTrue(p.text().getBytes(StandardCharsets.UTF_8).length <= 100);
      if (i < pieces.size() - 1) {
        assertTrue(p.text().endsWith(". "), "cut after a sentence end: '" + p.text() + "'");
      }
    }
    assertEquals(content.length, docs.stream().mapToLong(Document::bytes).sum(), "bytes reconcile");
  }

  @Test
  void splittingNeverCutsAMultiByteCharacter() throws IOException {
    String line = "\u6c34\ud83d\ude00\u00e9".repeat(400); // no spaces: cut at character boundaries
    for (DocumentUnit unit : DocumentUnit.values()) {
      List<Document> pieces = read(line.getBytes(StandardCharsets.UTF_8), unit, 64, InvalidUtf8.DROP, Oversized.SPLIT);
      assertTrue(pieces.size() > 10, unit.toString());
      assertEquals(line, String.join("", texts(pieces)), unit.toString());
      for (Document p : pieces) {
        assertNull(p.problem(), unit + " " + p.id());
        assertTrue(p.has(Document.Repair.SPLIT_PIECE));
      }
    }
  }

  @Test
  void oversizedParagraphsAndFilesAreSplitBetweenLines() throws IOException {
    String paragraph = String.join("\n", java.util.Collections.nCopies(30, "a line of text."));
    String content = "intro\n\n" + paragraph + "\n\nend\n";
    List<Document> paragraphs = read(content.getBytes(StandardCharsets.UTF_8), DocumentUnit.PARAGRAPH, 100,
        InvalidUtf8.DROP, Oversized.SPLIT);
    assertEquals("intro", paragraphs.get(0).text());
    assertEquals("end", paragraphs.get(paragraphs.size() - 1).text());
    List<Document> pieces = paragraphs.subList(1, paragraphs.size() - 1);
    assertTrue(pieces.size() >= 5);
    assertEquals(paragraph, String.join("\n", texts(pieces)), "cut between lines, no line cut");
    pieces.forEach(p -> assertTrue(p.has(Document.Repair.SPLIT_PIECE) && p.id().startsWith("f:3#"), p.id()));
    List<Document> file = read(content.getBytes(StandardCharsets.UTF_8), DocumentUnit.FILE, 100,
        InvalidUtf8.DROP, Oversized.SPLIT);
    assertTrue(file.size() >= 5);
    assertEquals(content.strip(), String.join("\n", texts(file)).strip());
    // under the limit nothing is split or marked
    List<Document> small = read("one\n\ntwo\n".getBytes(StandardCharsets.UTF_8), DocumentUnit.PARAGRAPH, 100,
        InvalidUtf8.DROP, Oversized.SPLIT);
    assertEquals(List.of("one", "two"), texts(small));
    assertFalse(small.get(0).has(Document.Repair.SPLIT_PIECE));
  }
}
