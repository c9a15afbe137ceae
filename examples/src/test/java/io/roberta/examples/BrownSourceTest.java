package io.roberta.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.pipelines.corpus.Document;
import io.roberta.pipelines.corpus.DocumentReader;
import io.roberta.pipelines.corpus.DropReason;
import io.roberta.pipelines.corpus.FileSource;
import io.roberta.pipelines.corpus.SourceRegistry;
import io.roberta.spec.SourceSpec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BrownSourceTest {

  @Test
  void untagsAndRestoresQuotesAndPunctuation() {
    assertEquals(
        "The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary election"
            + " produced \"no evidence\" that any irregularities took place.",
        BrownSource.untag(
            "\tThe/at Fulton/np-tl County/nn-tl Grand/jj-tl Jury/nn-tl said/vbd Friday/nr an/at"
                + " investigation/nn of/in Atlanta's/np$ recent/jj primary/nn election/nn produced/vbd"
                + " ``/`` no/at evidence/nn ''/'' that/cs any/dti irregularities/nns took/vbd place/nn ./."));
    assertEquals("1/2 of it (or so), he said.", BrownSource.untag("1/2/cd of/in it/ppo (/( or/cc so/rb )/) ,/, he/pps said/vbd ./."));
  }

  @Test
  void oneDocumentPerFileLabelledWithTheGenre() throws IOException {
    String file = "\n\n\tThe/at jury/nn said/vbd ./.\n\n\n\tIt/pps rained/vbd ./.\n";
    List<Document> out = new ArrayList<>();
    BrownSource.parse("/data/brown/cf12", new ByteArrayInputStream(file.getBytes(StandardCharsets.US_ASCII)),
        new DocumentReader("brown-corpus", DocumentReader.MAX_DOCUMENT_BYTES), out::add);
    assertEquals(1, out.size());
    Document d = out.get(0);
    assertEquals("The jury said.\nIt rained.\n", d.text());
    assertEquals("f", d.label());
    assertEquals("brown-corpus", d.source());
    assertNull(d.problem());
  }

  @Test
  void emptyFilesAreCountedNotLost() throws IOException {
    List<Document> out = new ArrayList<>();
    BrownSource.parse("cz99", new ByteArrayInputStream(new byte[0]), new DocumentReader("brown", 100), out::add);
    assertEquals(DropReason.EMPTY, out.get(0).problem());
  }

  @Test
  void recipesFindItByProviderName() {
    var source = SourceRegistry.create(SourceSpec.custom("brown", "brown", "../shared/data/brown/c[a-r][0-9][0-9]", 1));
    assertTrue(source instanceof FileSource);
    assertEquals("../shared/data/brown/c[a-r][0-9][0-9]", ((FileSource) source).glob());
  }
}
