import VMCtlModel

/// What the documents of all inputs declared, before they are merged and cross-checked.
struct StackParts {
    struct Declared<Spec> {
        var name: Located<String>
        /// Nil when the entry had errors; its name still counts as declared, so references to it don't cascade.
        var spec: Sourced<Spec>?
        /// False when some field had an error: the spec holds a default there, so totals must not count it.
        var complete = true
    }

    struct HostDraft {
        var place: Place
        var cpus: Located<Int>?
        var memory: Located<ByteSize>?
        var cpuOvercommit: Located<Double>?
        var memoryOvercommit: Located<Double>?
        /// A field of host was reported: capacity is not checked against a guess.
        var hasErrors = false
    }

    struct StackDocument {
        var name: Located<String>?
        var root: Place
        var host: HostDraft?
    }

    var stacks: [StackDocument] = []
    var networks: [Declared<NetworkSpec>] = []
    var volumes: [Declared<VolumeSpec>] = []
    var vms: [Declared<VMSpec>] = []
    /// True once any VM failed to decode: the stack is invalid, but cross-checks still run.
    var incomplete = false
}

enum DocumentKind: String, CaseIterable {
    case stack = "Stack"
    case virtualMachine = "VirtualMachine"
    case network = "Network"
    case volume = "Volume"
}

extension ValueDecoder {
    static let apiVersion = "vmctl/v1"
    static let stackFields = ["apiVersion", "kind", "metadata", "host", "networks", "volumes", "vms"]
    static let resourceFields = ["apiVersion", "kind", "metadata", "spec"]
    static let hostFields = ["cpus", "memory", "overcommit"]
    static let overcommitFields = ["cpu", "memory"]
    static let specHint: [DocumentKind: String] = [
        .virtualMachine: "spec holds the fields of a vms entry; spec: {} is a VM with every default",
        .network: "spec holds the fields of a networks entry, e.g. spec: {subnet: 10.10.0.0/24}",
        .volume: "spec holds the fields of a volumes entry, e.g. spec: {size: 1GiB}",
    ]

    func document(_ root: YAMLNode, into parts: inout StackParts) {
        let rootPlace = Place(location: root.location, path: "")
        // A document that cannot be read as any kind may have been meant as the Stack: `incomplete` keeps
        // "no Stack document found" from following its own diagnostic.
        guard case .mapping(let pairs) = root.content else {
            sink.error(rootPlace, "a document must be a mapping with apiVersion, kind and metadata, found \(root.typeDescription)")
            parts.incomplete = true
            return
        }
        guard let kind = kind(of: pairs, at: rootPlace) else {
            // Still check the envelope, so one run reports an apiVersion problem too.
            _ = MappingReader(root, path: "", what: "the document", allowed: Self.stackFields + ["spec"], sink: sink)
                .map { apiVersion($0) }
            parts.incomplete = true
            return
        }
        let allowed = kind == .stack ? Self.stackFields : Self.resourceFields
        guard let reader = MappingReader(root, path: "", what: "a \(kind.rawValue) document", allowed: allowed, sink: sink) else { return }
        apiVersion(reader)
        let name = metadataName(reader, kind: kind)
        switch kind {
        case .stack:
            var document = StackParts.StackDocument(name: name, root: rootPlace)
            if let (node, path) = reader.value("host") {
                document.host = host(node, path)
                // Capacity problems point at the `host:` key, not at its first field.
                if let key = reader.keyPlace("host") { document.host?.place = key }
            }
            parts.stacks.append(document)
            if let (node, path) = reader.value("networks") {
                for entry in entries(node, path) ?? [] {
                    declareNetwork(entry.key, keyPlace: entry.keyPlace, node: entry.node, path: entry.path, owner: entry.keyPlace.location, into: &parts)
                }
            }
            if let (node, path) = reader.value("volumes") {
                for entry in entries(node, path) ?? [] {
                    declareVolume(entry.key, keyPlace: entry.keyPlace, node: entry.node, path: entry.path, owner: entry.keyPlace.location, into: &parts)
                }
            }
            if let (node, path) = reader.value("vms") {
                for entry in entries(node, path) ?? [] {
                    declareVM(entry.key, keyPlace: entry.keyPlace, node: entry.node, path: entry.path, owner: entry.keyPlace.location, into: &parts)
                }
            }
        case .virtualMachine, .network, .volume:
            let spec = reader.required("spec", what: "a \(kind.rawValue) document", sink: sink, hint: Self.specHint[kind])
            guard let name, let (node, path) = spec else {
                if kind == .virtualMachine { parts.incomplete = true }
                return
            }
            let owner = reader.keyPlace("spec")?.location ?? node.location
            switch kind {
            case .network: declareNetwork(name.value, keyPlace: name.place, node: node, path: path, owner: owner, into: &parts)
            case .volume: declareVolume(name.value, keyPlace: name.place, node: node, path: path, owner: owner, into: &parts)
            default: declareVM(name.value, keyPlace: name.place, node: node, path: path, owner: owner, into: &parts)
            }
        }
    }

    private func kind(of pairs: [(key: YAMLNode, value: YAMLNode)], at place: Place) -> DocumentKind? {
        guard let pair = pairs.first(where: { $0.key.scalarText == "kind" }) else {
            sink.error(place, "the document is missing the required field 'kind'",
                       hint: "kind is one of \(DocumentKind.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        guard let text = string(pair.value, "kind") else { return nil }
        guard let kind = DocumentKind(rawValue: text.value) else {
            let names = DocumentKind.allCases.map(\.rawValue)
            sink.error(text.place, "unknown kind '\(text.value.truncatedForMessage)'; expected one of \(names.joined(separator: ", "))",
                       hint: Suggestions.hint(for: text.value, in: names))
            return nil
        }
        return kind
    }

    private func apiVersion(_ reader: MappingReader) {
        guard let (node, path) = reader.required("apiVersion", what: "the document", sink: sink, hint: "add apiVersion: \(Self.apiVersion)"),
              let text = string(node, path) else { return }
        guard text.value == Self.apiVersion else {
            let hint = text.value.hasPrefix("vmctl/") ? "this vmctl reads \(Self.apiVersion) only" : "did you mean \(Self.apiVersion)?"
            sink.error(text.place, "unsupported apiVersion '\(text.value.truncatedForMessage)'", hint: hint)
            return
        }
    }

    private func metadataName(_ reader: MappingReader, kind: DocumentKind) -> Located<String>? {
        guard let (node, path) = reader.required("metadata", what: "a \(kind.rawValue) document", sink: sink, hint: "add metadata: {name: …}"),
              let metadata = MappingReader(node, path: path, what: "metadata", allowed: ["name"], sink: sink, owner: reader.keyPlace("metadata")?.location),
              let (nameNode, namePath) = metadata.required("name", what: "metadata", sink: sink) else { return nil }
        let what = kind == .stack ? "stack" : kind == .virtualMachine ? "VM" : kind.rawValue.lowercased()
        return name(nameNode, namePath, what: what)
    }

    private func host(_ node: YAMLNode, _ path: String) -> StackParts.HostDraft? {
        let before = sink.diagnostics.count
        guard let reader = MappingReader(node, path: path, what: "host", allowed: Self.hostFields, sink: sink) else {
            return StackParts.HostDraft(place: place(node, path), hasErrors: true)
        }
        var draft = StackParts.HostDraft(place: reader.place)
        draft.cpus = reader.value("cpus").flatMap { int($0.node, $0.path, range: 1...4096) }
        draft.memory = reader.value("memory").flatMap { size($0.node, $0.path) }
        if let (node, path) = reader.value("overcommit"),
           let overcommit = MappingReader(node, path: path, what: "host.overcommit", allowed: Self.overcommitFields, sink: sink) {
            // Any positive number (decisions.md): a 2-CPU test host may run hundreds of small VMs.
            draft.cpuOvercommit = overcommit.value("cpu").flatMap { number($0.node, $0.path, above: 0) }
            draft.memoryOvercommit = overcommit.value("memory").flatMap { number($0.node, $0.path, above: 0) }
        }
        draft.hasErrors = sink.diagnostics.count > before
        return draft
    }

    private func declareNetwork(_ key: String, keyPlace: Place, node: YAMLNode, path: String, owner: SourceLocation, into parts: inout StackParts) {
        guard let name = checkedName(key, place: keyPlace, what: "network") else { return }
        parts.networks.append(.init(name: name, spec: network(node, path: path, name: name, owner: owner)))
    }

    private func declareVolume(_ key: String, keyPlace: Place, node: YAMLNode, path: String, owner: SourceLocation, into parts: inout StackParts) {
        guard let name = checkedName(key, place: keyPlace, what: "volume") else { return }
        parts.volumes.append(.init(name: name, spec: volume(node, path: path, name: name, owner: owner)))
    }

    private func declareVM(_ key: String, keyPlace: Place, node: YAMLNode, path: String, owner: SourceLocation, into parts: inout StackParts) {
        guard let name = checkedName(key, place: keyPlace, what: "VM") else {
            parts.incomplete = true
            return
        }
        guard let (vm, complete) = vm(node, path: path, name: name, owner: owner) else {
            parts.incomplete = true
            parts.vms.append(.init(name: name, spec: nil))
            return
        }
        if !complete { parts.incomplete = true }
        parts.vms.append(.init(name: name, spec: vm, complete: complete))
    }
}
