import Glibc

/// The text `strerror` gives for `code`.
///
/// Safety: `strerror` returns a pointer to a NUL-terminated static or thread-local string, read here
/// once, immediately.
func errnoDescription(_ code: Int32) -> String {
    unsafe String(cString: strerror(code))
}

/// Bulk byte copies between spans and arrays.
///
/// Safety: `Span` has no safe bulk copy into an `Array` in this toolchain (`OutputSpan` appends one
/// element at a time), so these two functions borrow the span's buffer for one `memcpy`-like copy of
/// exactly `span.count` bytes; the pointer never outlives the call.
enum ByteCopy {
    /// A new array holding the bytes of `span`.
    static func array(_ span: borrowing Span<UInt8>) -> [UInt8] {
        guard !span.isEmpty else { return [] }
        return unsafe span.withUnsafeBufferPointer { buffer in unsafe Array(buffer) }
    }

    /// Appends the bytes of `span` to `array`.
    static func append(_ span: borrowing Span<UInt8>, to array: inout [UInt8]) {
        guard !span.isEmpty else { return }
        unsafe span.withUnsafeBufferPointer { buffer in unsafe array.append(contentsOf: buffer) }
    }
}
