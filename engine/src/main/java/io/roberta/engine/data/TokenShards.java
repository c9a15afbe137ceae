package io.roberta.engine.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Fixed-length token blocks read by memory map from shard files of flat little-endian ids
 * ({@code UINT16} when the vocabulary has at most 65,536 tokens, else {@code INT32}), as the corpus
 * stage writes them. Blocks are numbered across the shards in the order given.
 *
 * <pre>{@code
 * try (TokenShards shards = TokenShards.open(List.of(train0, train1), TokenShards.Dtype.UINT16, 128)) {
 *   int[] block = new int[128];
 *   shards.read(42, block);
 * }
 * }</pre>
 */
public final class TokenShards implements AutoCloseable {

  public enum Dtype {
    UINT16(2),
    INT32(4);

    final int bytes;

    Dtype(int bytes) {
      this.bytes = bytes;
    }

    public int bytes() {
      return bytes;
    }

    /** The smallest type that holds every id of a {@code vocabSize}-token vocabulary. */
    public static Dtype forVocabulary(int vocabSize) {
      return vocabSize <= 65_536 ? UINT16 : INT32;
    }
  }

  private final Dtype dtype;
  private final int blockLength;
  private final List<MappedByteBuffer> maps = new ArrayList<>();
  private final List<Path> files;
  private final long[] firstBlock; // firstBlock[s] = global index of shard s's first block
  private final long blocks;

  private TokenShards(Dtype dtype, int blockLength, List<Path> files) throws IOException {
    this.dtype = dtype;
    this.blockLength = blockLength;
    this.files = files;
    this.firstBlock = new long[files.size() + 1];
    long total = 0;
    long blockBytes = (long) blockLength * dtype.bytes;
    for (int s = 0; s < files.size(); s++) {
      Path file = files.get(s);
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
        long size = ch.size();
        if (size % blockBytes != 0) {
          throw new ShardFileException(file, "size " + size
              + " bytes is not a whole number of blocks of " + blockLength + " " + dtype
              + " tokens (" + blockBytes + " bytes each); the shard is truncated or was written"
              + " with another block length or dtype (the corpus manifest's format says which)");
        }
        if (size > Integer.MAX_VALUE) {
          throw new ShardFileException(file, size
              + " bytes is more than one memory map can hold (2 GiB); write smaller shards");
        }
        MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
        map.order(ByteOrder.LITTLE_ENDIAN);
        maps.add(map);
        firstBlock[s] = total;
        total += size / blockBytes;
      }
    }
    firstBlock[files.size()] = total;
    this.blocks = total;
  }

  public static TokenShards open(List<Path> files, Dtype dtype, int blockLength) {
    if (files.isEmpty()) {
      throw new IllegalArgumentException("no shard files given");
    }
    if (blockLength <= 0) {
      throw new IllegalArgumentException("blockLength = " + blockLength + " must be positive");
    }
    try {
      return new TokenShards(dtype, blockLength, List.copyOf(files));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot map shards " + files + ": " + e.getMessage(), e);
    }
  }

  public long blockCount() {
    return blocks;
  }

  public int blockLength() {
    return blockLength;
  }

  /** Copies block {@code index} (global, 0-based) into {@code out[0..blockLength)}. */
  public void read(long index, int[] out) {
    if (index < 0 || index >= blocks) {
      throw new IndexOutOfBoundsException("block " + index + " of " + blocks);
    }
    int s = shardOf(index);
    MappedByteBuffer map = maps.get(s);
    int offset = (int) ((index - firstBlock[s]) * blockLength * dtype.bytes);
    if (dtype == Dtype.UINT16) {
      for (int i = 0; i < blockLength; i++) {
        out[i] = Short.toUnsignedInt(map.getShort(offset + 2 * i));
      }
    } else {
      for (int i = 0; i < blockLength; i++) {
        out[i] = map.getInt(offset + 4 * i);
      }
    }
  }

  /**
   * Checks every id of every block against a vocabulary of {@code vocabSize} tokens, so a shard
   * written with another tokenizer or another dtype, or damaged, fails before training or
   * scoring starts instead of indexing past the embedding table. One pass over the mapped bytes.
   *
   * @throws ShardFileException naming the file, block, position and id of the first bad id
   */
  public void checkIdsBelow(int vocabSize) {
    int[] block = new int[blockLength];
    for (long b = 0; b < blocks; b++) {
      read(b, block);
      for (int i = 0; i < blockLength; i++) {
        if (block[i] < 0 || block[i] >= vocabSize) {
          int s = shardOf(b);
          throw new ShardFileException(files.get(s), "block " + (b - firstBlock[s])
              + " position " + i + " holds id " + Integer.toUnsignedLong(block[i])
              + ", outside the model's vocabulary [0, " + vocabSize + "); the shard was written"
              + " with another tokenizer or dtype (" + dtype + " assumed), or is damaged");
        }
      }
    }
  }

  private int shardOf(long index) {
    int lo = 0;
    int hi = maps.size() - 1;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (firstBlock[mid] <= index) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }

  @Override
  public void close() {
    maps.clear(); // mappings are released when collected; nothing else holds native resources
  }
}
