import CZstd
import NIOCore

/// A zstd stream decompressed as it arrives (libzstd's `ZSTD_decompressStream`), bounded like
/// gzip: a layer that decompresses to more than `maxBytes` is refused, and so is a frame
/// asking for a window larger than `maxWindowLog` allows (zstd's own guard against a
/// hostile frame reserving memory). Concatenated frames are one stream, as zstd(1) reads them.
///
/// No Swift zstd package is available to this project, so the system library is used
/// through a module map (`Sources/CZstd`).
final class ZstdStream {
    private let stream: OpaquePointer
    private var window: [UInt8]
    private(set) var total = 0
    let maxBytes: Int
    /// Whether the last frame fed was complete (false mid-frame: the layer was cut short).
    private(set) var atFrameEnd = true

    /// 2^27 bytes (128 MiB), zstd's default limit for decompression windows.
    static let maxWindowLog = 27

    init(maxBytes: Int) throws(TarReader.Failure) {
        guard let stream = ZSTD_createDStream() else { throw TarReader.Failure(description: "zstd: cannot allocate a decompression stream") }
        ZSTD_initDStream(stream)
        ZSTD_DCtx_setParameter(stream, ZSTD_d_windowLogMax, Int32(Self.maxWindowLog))
        self.stream = stream
        self.maxBytes = maxBytes
        window = [UInt8](repeating: 0, count: ZSTD_DStreamOutSize())
    }

    deinit { ZSTD_freeDStream(stream) }

    /// Decompresses `chunk`, handing each piece of output to `process`.
    func feed(_ chunk: ByteBuffer, _ process: (ByteBuffer) throws -> Void) throws {
        try chunk.withUnsafeReadableBytes { bytes in
            var input = ZSTD_inBuffer(src: bytes.baseAddress, size: bytes.count, pos: 0)
            // Until the input is used up and the output no longer fills the window (a full
            // window may leave output inside the stream).
            var produced = 0
            repeat {
                let hint: Int
                (hint, produced) = window.withUnsafeMutableBytes { out -> (Int, Int) in
                    var output = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
                    let hint = ZSTD_decompressStream(stream, &output, &input)
                    return (hint, output.pos)
                }
                if ZSTD_isError(hint) != 0 {
                    throw TarReader.Failure(description: "zstd data is corrupt (\(String(cString: ZSTD_getErrorName(hint))))")
                }
                atFrameEnd = hint == 0
                if produced > 0 {
                    total += produced
                    guard total <= maxBytes else { throw TarReader.Failure(description: "layer decompresses to more than \(maxBytes) bytes") }
                    try process(ByteBuffer(bytes: window[..<produced]))
                }
            } while input.pos < input.size || produced == window.count
        }
    }

    /// Throws if the stream stopped inside a frame.
    func finish() throws(TarReader.Failure) {
        guard atFrameEnd else { throw TarReader.Failure(description: "zstd data ends inside a frame (the layer is truncated)") }
    }
}
