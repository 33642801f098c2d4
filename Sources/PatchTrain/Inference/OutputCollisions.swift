import Foundation

/// The outputs an inference run will write, checked before any work starts: no output may be one of the inputs
/// (an `--out` pointing at the input folder would replace the images with label maps), and no two inputs may
/// map to one output (`case.npy` and `case.nii` both give `case.npy`, and the second would overwrite the first).
enum OutputCollisions {
    static func check(_ cases: [InferenceInput], out: String, settings: InferenceSettings) throws {
        let inputs = Dictionary(cases.map { (resolved($0.volume.path), $0.volume.path) }, uniquingKeysWith: { first, _ in first })
        var writers: [String: String] = [:]
        for item in cases {
            let paths = PredictionWriter.paths(folder: out, stem: item.stem, format: settings.format,
                                               probabilities: settings.probabilities)
            var outputs = [paths.labels] + (paths.probabilities.map { [$0] } ?? [])
            if let folder = settings.previewFolder { outputs.append(SlicePreview.path(folder: folder, stem: item.stem)) }
            for output in outputs {
                let key = resolved(output)
                if let input = inputs[key] {
                    throw InputError(input, "is an input, and the output \(output) would overwrite it: choose another --out")
                }
                if let other = writers[key], other != item.volume.path {
                    throw InputError(item.volume.path, "gives the same output \(output) as \(other): inputs need distinct names")
                }
                writers[key] = item.volume.path
            }
        }
    }

    /// The path with its folder's symbolic links and `..` resolved (the file itself need not exist).
    static func resolved(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        let folder = ((absolute as NSString).deletingLastPathComponent as NSString).resolvingSymlinksInPath
        return ((folder as NSString).standardizingPath as NSString).appendingPathComponent((absolute as NSString).lastPathComponent)
    }
}
