package io.roberta.pipelines.corpus;

import io.roberta.engine.data.TokenShards;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;

/**
 * How blocks are stored: flat little-endian token ids, {@code uint16} when every id fits (a
 * vocabulary of at most 65,536 ids), else {@code int32}. A shard of {@code n} blocks is
 * {@code n * blockLength * bytesPerId} bytes, ready to memory-map.
 */
public enum ShardFormat {
  UINT16(TokenShards.Dtype.UINT16),
  INT32(TokenShards.Dtype.INT32);

  /** The reader's side of the same format (the engine memory-maps what this writes). */
  private final TokenShards.Dtype dtype;

  ShardFormat(TokenShards.Dtype dtype) {
    this.dtype = dtype;
  }

  /** The engine's rule, so writer and reader cannot disagree on the threshold. */
  public static ShardFormat forVocabulary(int vocabSize) {
    return valueOf(TokenShards.Dtype.forVocabulary(vocabSize).name());
  }

  public int bytesPerId() {
    return dtype.bytes();
  }

  public String dtype() {
    return this == UINT16 ? "uint16" : "int32";
  }

  /** Buffers ids and writes them to a channel. */
  public final class Writer implements AutoCloseable {
    private final WritableByteChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

    public Writer(WritableByteChannel channel) {
      this.channel = channel;
    }

    public void write(int[] ids) throws IOException {
      for (int id : ids) {
        if (buffer.remaining() < 4) {
          drain();
        }
        if (ShardFormat.this == UINT16) {
          buffer.putShort((short) id);
        } else {
          buffer.putInt(id);
        }
      }
    }

    private void drain() throws IOException {
      buffer.flip();
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      buffer.clear();
    }

    @Override
    public void close() throws IOException {
      drain();
      channel.close();
    }
  }

  /** Reads ids back from a shard's bytes (for tests and tools). */
  public int[] decode(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    int[] ids = new int[bytes.length / bytesPerId()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = this == UINT16 ? Short.toUnsignedInt(b.getShort()) : b.getInt();
    }
    return ids;
  }
}
