package io.roberta.engine.cuda;

/** How a CUDA tensor stores its elements; kernels take the flag, GEMMs the byte width. */
enum DType {
  F32(4),
  BF16(2);

  final int bytes;

  DType(int bytes) {
    this.bytes = bytes;
  }

  /** The {@code bf} argument every kernel takes next to a tensor pointer. */
  int flag() {
    return this == BF16 ? 1 : 0;
  }
}
