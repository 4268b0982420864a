import CLiburing

/// The process heap (glibc malloc).
public enum Heap {
    /// Gives free heap pages back to the kernel (`malloc_trim(0)`, every arena): glibc keeps freed
    /// memory mapped, so without this a burst's peak stays in the resident size after it is freed.
    public static func returnFreedMemory() {
        _ = malloc_trim(0)
    }
}
