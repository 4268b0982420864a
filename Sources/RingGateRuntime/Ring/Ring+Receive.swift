import CLiburing

extension Ring {
    /// Arms a multishot receive on direct descriptor `fileIndex` that picks buffers from provided-buffer
    /// group `bufferGroup`: no buffer is tied to the connection while it is idle. Ends (no
    /// IORING_CQE_F_MORE) on EOF (0), error, or -ENOBUFS when the group ran dry.
    /// io_uring_prep_recv_multishot(3), Linux 6.0.
    public func receiveMultishot(fileIndex: UInt32, bufferGroup: UInt16, tag: CompletionTag) {
        let sqe = nextSubmission()
        io_uring_prep_recv_multishot(sqe, Int32(bitPattern: fileIndex), nil, 0, 0)
        sqe.pointee.flags |= CLiburing_IOSQE_FIXED_FILE | CLiburing_IOSQE_BUFFER_SELECT
        sqe.pointee.buf_group = bufferGroup
        sqe.pointee.user_data = tag.rawValue
    }
}
