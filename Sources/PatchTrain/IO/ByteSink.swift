/// Somewhere a writer streams bytes to and then either commits (the file appears whole under its name)
/// or abandons (nothing appears). `AtomicFile` writes them as they are, `GzipFileWriter` compresses them.
public protocol ByteSink: AnyObject {
    var path: String { get }
    func write(_ bytes: UnsafeRawBufferPointer) throws
    func commit() throws
    func abandon()
}

extension AtomicFile: ByteSink {}

extension ByteSink {
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }
}
