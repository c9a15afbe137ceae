package io.roberta.pipelines.corpus;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.BooleanCoder;
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

    // Ids as one block of little-endian ints: documents run to 100k+ ids, and a varint per id
    // made this coder the stage's hot spot on the DirectRunner.
    @Override
    public void encode(TokenizedDocument d, OutputStream out) throws IOException {
      BooleanCoder.of().encode(d.holdout, out);
      VarLongCoder.of().encode(d.sortKey, out);
      VarIntCoder.of().encode(d.ids.length, out);
      ByteBuffer b = ByteBuffer.allocate(d.ids.length * 4).order(ByteOrder.LITTLE_ENDIAN);
      b.asIntBuffer().put(d.ids);
      out.write(b.array());
    }

    @Override
    public TokenizedDocument decode(InputStream in) throws IOException {
      boolean holdout = BooleanCoder.of().decode(in);
      long key = VarLongCoder.of().decode(in);
      int n = VarIntCoder.of().decode(in);
      if (n < 0) {
        throw new CoderException("negative id count " + n);
      }
      byte[] bytes = in.readNBytes(n * 4);
      if (bytes.length != n * 4) {
        throw new CoderException("expected " + n + " ids, stream ended after " + bytes.length / 4);
      }
      int[] ids = new int[n];
      ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(ids);
      return new TokenizedDocument(holdout, key, ids);
    }

    @Override
    public void verifyDeterministic() {}
  }
}
