package io.roberta.pipelines.corpus;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.BooleanCoder;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * One copy of a kept document as token ids (no {@code <s>}/{@code </s>}), with the split it
 * belongs to and its place in the packing order.
 *
 * @param holdout true for the holdout split
 * @param sortKey packing order within a shard; also picks the shard
 * @param ids token ids, {@code [T]}
 */
@DefaultCoder(TokenizedDocument.Coder.class)
public record TokenizedDocument(boolean holdout, long sortKey, int[] ids) {

  @Override
  public boolean equals(Object o) {
    return o instanceof TokenizedDocument t && t.holdout == holdout && t.sortKey == sortKey && Arrays.equals(t.ids, ids);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(sortKey) * 31 + Arrays.hashCode(ids);
  }

  @Override
  public String toString() {
    return "TokenizedDocument{" + (holdout ? "holdout" : "train") + ", " + sortKey + ", " + ids.length + " ids}";
  }

  public static final class Coder extends AtomicCoder<TokenizedDocument> {
    private static final Coder INSTANCE = new Coder();

    public static Coder of() {
      return INSTANCE;
    }

    @Override
    public void encode(TokenizedDocument d, OutputStream out) throws IOException {
      BooleanCoder.of().encode(d.holdout, out);
      VarLongCoder.of().encode(d.sortKey, out);
      VarIntCoder.of().encode(d.ids.length, out);
      for (int id : d.ids) {
        VarIntCoder.of().encode(id, out);
      }
    }

    @Override
    public TokenizedDocument decode(InputStream in) throws IOException {
      boolean holdout = BooleanCoder.of().decode(in);
      long key = VarLongCoder.of().decode(in);
      int n = VarIntCoder.of().decode(in);
      int[] ids = new int[n];
      for (int i = 0; i < n; i++) {
        ids[i] = VarIntCoder.of().decode(in);
      }
      return new TokenizedDocument(holdout, key, ids);
    }

    @Override
    public void verifyDeterministic() {}
  }
}
