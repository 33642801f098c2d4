/// `weights.safetensors`: every `state_dict()` entry of the reference PyTorch `UNet3D`, with its name, shape and
/// dtype (float32 parameters and running statistics, int64 `num_batches_tracked`), in PyTorch's layout, so that
/// `UNet3D().load_state_dict(safetensors.torch.load_file(path))` works as it is.
enum WeightsFile {
    static func write(_ store: ParameterStore, to path: String) throws {
        try write(store, to: try AtomicFile(path: path))
    }

    /// The same into any sink (a checkpoint's temporary folder, a test's failing disk).
    static func write(_ store: ParameterStore, to sink: any ByteSink) throws {
        let specs = store.specs
        try Safetensors.write(to: sink, tensors: specs.map { ($0.name, $0.elementType, $0.shape) },
                              metadata: ["format": "pt", "producer": "patchtrain"]) { i, write in
            let spec = specs[i]
            if spec.elementType == .int64 {
                var value = store.counter(spec.name).littleEndian
                try withUnsafeBytes(of: &value) { try write($0) }
            } else {
                // One tensor at a time through the store's scratch: saving allocates nothing of size.
                try store.withPyTorchValues(spec.name) { values in
                    // A weights file is only ever written finite: NaN or infinity could not be trained or loaded.
                    guard values.allSatisfy(\.isFinite) else { throw RuntimeFailure("not saving '\(spec.name)': it holds NaN or infinity") }
                    try write(UnsafeRawBufferPointer(values))
                }
            }
        }
    }

    /// Loads every entry into `store`; the file must hold exactly the store's entries with the same shapes and dtypes.
    /// Tensors pass one at a time through the store's checkpoint scratch and each one's mapped pages are released
    /// after it, so loading holds one tensor beyond the store, never the file.
    static func read(_ path: String, into store: ParameterStore) throws {
        let reader = try Safetensors.Reader(path: path)
        let expected = Set(store.specs.map(\.name)), found = Set(reader.entries.keys)
        if let missing = expected.subtracting(found).sorted().first {
            throw InputError(path, "no tensor '\(missing)' (\(expected.subtracting(found).count) missing): not weights of this network")
        }
        if let extra = found.subtracting(expected).sorted().first {
            throw InputError(path, "unexpected tensor '\(extra)': not weights of this network")
        }
        for spec in store.specs {
            let entry = reader.entries[spec.name]!
            guard entry.shape == spec.shape, entry.elementType == spec.elementType else {
                throw InputError(path, "tensor '\(spec.name)' is \(entry.elementType) \(entry.shape), expected \(spec.elementType) \(spec.shape)")
            }
            let bytes = reader.bytes(of: entry)
            defer { reader.release(entry) }
            if spec.elementType == .int64 {
                store.setCounter(spec.name, Int64(littleEndian: bytes.loadUnaligned(as: Int64.self)))
            } else {
                try store.setFromPyTorchOrder(of: .values, spec.name) { values in
                    for k in values.indices {
                        values[k] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * k, as: UInt32.self)))
                        guard values[k].isFinite else { throw InputError(path, "tensor '\(spec.name)' holds NaN or Inf") }
                    }
                }
            }
        }
    }
}
