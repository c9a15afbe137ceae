package io.roberta.engine.cuda;

/** One device allocation: its address, its size in bytes, and whether it was freed. */
final class DeviceBuffer {
  final long address;
  final long bytes;
  private boolean freed;

  DeviceBuffer(long address, long bytes) {
    this.address = address;
    this.bytes = bytes;
  }

  /** True the first time only: whoever gets true frees it. */
  synchronized boolean markFreed() {
    if (freed) {
      return false;
    }
    freed = true;
    return true;
  }

  synchronized boolean freed() {
    return freed;
  }

  @Override
  public String toString() {
    return "DeviceBuffer[0x" + Long.toHexString(address) + ", " + bytes + " bytes" + (freed() ? ", freed" : "") + "]";
  }
}
