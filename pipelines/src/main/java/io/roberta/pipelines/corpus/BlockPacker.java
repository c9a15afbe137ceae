package io.roberta.pipelines.corpus;

import io.roberta.spec.PackingSpec;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Cuts token streams into blocks of exactly {@code blockLength} ids, each as the model reads it:
 * {@code <s> tokens </s>}, padded with {@code <pad>} after {@code </s>} when short.
 *
 * <ul>
 *   <li>FULL_SENTENCES: documents are joined with {@code </s>} between them and cut every
 *       {@code blockLength - 2} tokens, so blocks cross documents; only the last block of the
 *       stream is padded.
 *   <li>DOC_SENTENCES: each document is cut on its own; its last block is padded.
 * </ul>
 *
 * <pre>{@code
 * BlockPacker packer = new BlockPacker(Packing.fullSentences(128), 0, 2, 1, blocks::add);
 * for (int[] doc : documents) packer.add(doc);   // tokens without <s> and </s>
 * packer.finish();
 * }</pre>
 */
public final class BlockPacker {
  private final PackingSpec.Mode mode;
  private final int blockLength;
  private final int bos;
  private final int eos;
  private final int pad;
  private final Consumer<int[]> out;
  private final int[] block; // [blockLength] being filled
  private int filled; // content tokens in block, after <s>
  private boolean anyDocument;
  private long blocks;
  private long paddingTokens;
  private long contentTokens;

  public BlockPacker(PackingSpec spec, int bos, int eos, int pad, Consumer<int[]> out) {
    this.mode = spec.mode();
    this.blockLength = spec.blockLength();
    this.bos = bos;
    this.eos = eos;
    this.pad = pad;
    this.out = out;
    this.block = new int[blockLength];
  }

  /** Adds one document's tokens (no {@code <s>} or {@code </s>}); empty documents add nothing. */
  public void add(int[] tokens) {
    if (tokens.length == 0) {
      return;
    }
    if (mode == PackingSpec.Mode.FULL_SENTENCES && anyDocument) {
      put(eos);
    }
    anyDocument = true;
    for (int t : tokens) {
      put(t);
    }
    if (mode == PackingSpec.Mode.DOC_SENTENCES) {
      flush();
    }
  }

  /** Emits the last, padded block. */
  public void finish() {
    flush();
  }

  public long blocks() {
    return blocks;
  }

  /** {@code <pad>} positions written. */
  public long paddingTokens() {
    return paddingTokens;
  }

  /** Positions that hold text tokens or the {@code </s>} between documents (not {@code <s>}, the closing {@code </s>} or padding). */
  public long contentTokens() {
    return contentTokens;
  }

  private void put(int token) {
    if (filled == blockLength - 2) {
      flush();
    }
    block[1 + filled++] = token;
    contentTokens++;
  }

  private void flush() {
    if (filled == 0) {
      return;
    }
    block[0] = bos;
    block[1 + filled] = eos;
    int used = filled + 2;
    Arrays.fill(block, used, blockLength, pad);
    paddingTokens += blockLength - used;
    blocks++;
    filled = 0;
    out.accept(block.clone());
  }
}
