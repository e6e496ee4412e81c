import VMCtlModel

extension ValueDecoder {
    static let volumeFields = ["size", "source", "format", "filesystem"]

    func volume(_ node: YAMLNode, path: String, name: Located<String>, owner: SourceLocation) -> Sourced<VolumeSpec>? {
        let what = "volume '\(name.value)'"
        guard let reader = MappingReader(node, path: path, what: what, allowed: Self.volumeFields, sink: sink, owner: owner) else { return nil }
        let size = reader.value("size").flatMap { self.size($0.node, $0.path) }
        let source = reader.value("source").flatMap { self.path($0.node, $0.path) }
        let format = reader.value("format").flatMap { self.choice($0.node, $0.path, VolumeFormat.self) }
        let filesystem = reader.value("filesystem").flatMap { self.choice($0.node, $0.path, VolumeFilesystem.self) }
        if !reader.has("size") && !reader.has("source") {
            sink.error(Place(location: owner, path: path), "\(what) needs a size (a new, empty volume) or a source (an image to import)",
                       hint: "for example size: 2GiB")
            return nil
        }
        if let size, size.value.bytes % 512 != 0 {
            sink.error(size.place, "\(size.place.path): \(size.value) is not a multiple of 512 bytes, the disk sector size")
        }
        if let filesystem, reader.has("source") {
            sink.error(filesystem.place, "\(filesystem.place.path) formats a new volume and cannot be combined with source",
                       hint: "remove filesystem, or remove source and give a size")
        }
        guard reader.has("size") == (size != nil), reader.has("source") == (source != nil) else { return nil }
        let spec = VolumeSpec(size: size?.value, source: source?.value, format: format?.value ?? .raw, filesystem: filesystem?.value)
        return Sourced(value: spec, place: name.place)
    }
}
