import VMCtlModel

/// The result of loading manifests: the stack when it is valid, and every diagnostic either way.
public struct ManifestResult: Sendable {
    public var stack: Stack?
    public var diagnostics: [Diagnostic]

    /// Where each VM's fields are written: VM (definition) name → field path relative to the VM (`ports[0]`,
    /// `image`) → location and full path. For checks the caller makes against the host (free ports).
    public var vmFields: [String: [String: FieldLocation]] = [:]

    /// Every host file the manifests name (kernel, initrd, image, volume source, cloud-init user data), in file order,
    /// for checks the caller makes on the host: `PathConfinement`, `HostPathCheck`.
    public var hostPaths: [HostPathReference] = []

    public var isValid: Bool { stack != nil && !diagnostics.hasErrors }

    /// A diagnostic at a VM's field, or at the VM's name when the field is not written.
    public func diagnostic(vm: String, field: String, _ message: String, hint: String? = nil) -> Diagnostic? {
        guard let place = vmFields[vm]?[field] ?? vmFields[vm]?[""] else { return nil }
        return Diagnostic(.error, at: place.location, path: place.path, message, hint: hint)
    }
}

public struct FieldLocation: Hashable, Sendable {
    public var location: SourceLocation
    public var path: String
}

/// YAML text → validated `Stack`. Pure: the caller supplies the bytes, the environment and the host's size.
public enum ManifestLoader {
    public static let maxFileSize = 8 << 20

    /// With `host`, the stack is also checked against that machine: `host.cpus` and `host.memory` at most its size, each
    /// VM's `cpus` at most its CPUs, and a budget the manifest leaves out filled from it (every CPU, 80% of the RAM).
    ///
    /// With `host` nil the verdict depends on the manifests alone: capacity is checked only for a dimension the
    /// manifest states (`host.cpus`, `host.memory`). The stack's `host` then holds 0 for a dimension left out, meaning
    /// unknown: such a stack is for reporting only and must never be planned or applied (load again with the facts of
    /// the target host for that; a zero budget refuses every VM rather than overcommit).
    public static func load(_ sources: [ManifestSource], env: [String: String], host: HostFacts?) -> ManifestResult {
        let sink = DiagnosticSink()
        let hostPaths = HostPathLog()
        var parts = StackParts()
        for source in sources {
            guard let text = decodeText(source, sink: sink) else {
                parts.incomplete = true
                continue
            }
            let (documents, syntaxError) = YAMLComposer(file: source.name, text: text).documents()
            if let syntaxError {
                sink.append(syntaxError)
                parts.incomplete = true
            }
            let decoder = ValueDecoder(sink: sink, env: env, baseDirectory: source.baseDirectory, hostPaths: hostPaths)
            for document in documents where !document.isNull {
                decoder.document(document, into: &parts)
            }
        }
        let firstFile = sources.first?.name ?? "<no input>"
        let assembler = StackAssembler(sink: sink, host: host,
                                       noInputPlace: Place(location: SourceLocation(file: firstFile, line: 1, column: 1), path: ""))
        // A file that could not be read at all would make "no Stack document" a misleading follow-up.
        let stack = parts.incomplete && parts.stacks.isEmpty ? nil : assembler.assemble(parts)
        let diagnostics = sink.diagnostics.sorted()
        var result = ManifestResult(stack: diagnostics.hasErrors ? nil : stack, diagnostics: diagnostics)
        result.hostPaths = hostPaths.references
        for declared in parts.vms {
            guard let vm = declared.spec else { continue }
            var fields = vm.fields.mapValues { FieldLocation(location: $0.location, path: $0.path) }
            fields[""] = FieldLocation(location: vm.place.location, path: vm.place.path)
            result.vmFields[declared.name.value] = fields
        }
        return result
    }

    /// Size limit, UTF-8 check (with the position of the first bad byte), BOM removal.
    static func decodeText(_ source: ManifestSource, sink: DiagnosticSink) -> String? {
        let start = Place(location: SourceLocation(file: source.name, line: 1, column: 1), path: "")
        guard source.bytes.count <= maxFileSize else {
            sink.error(start, "the file is larger than \(maxFileSize >> 20) MiB, the limit for a manifest",
                       hint: "split the stack into several files in a folder")
            return nil
        }
        var bytes = source.bytes[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        if let bad = firstInvalidUTF8(bytes) {
            let (line, column) = TextPosition.lineAndColumn(in: Array(source.bytes), byteOffset: bad)
            sink.error(Place(location: SourceLocation(file: source.name, line: line, column: column), path: ""),
                       "the file is not valid UTF-8: byte 0x\(String(source.bytes[bad], radix: 16, uppercase: true)) at offset \(bad) cannot be decoded",
                       hint: "save it as UTF-8")
            return nil
        }
        if let nul = bytes.firstIndex(of: 0) {
            let (line, column) = TextPosition.lineAndColumn(in: Array(source.bytes), byteOffset: nul)
            sink.error(Place(location: SourceLocation(file: source.name, line: line, column: column), path: ""),
                       "the file contains a NUL byte", hint: "manifests are text files")
            return nil
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func firstInvalidUTF8(_ bytes: ArraySlice<UInt8>) -> Int? {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = bytes.startIndex
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                offset += UTF8.width(scalar)
            case .emptyInput:
                return nil
            case .error:
                return offset
            }
        }
    }
}
