import VMCtlModel

extension ValueDecoder {
    static let vmFields = ["replicas", "cpus", "memory", "backend", "kernel", "networks", "disks", "dependsOn",
                           "runStrategy", "readiness", "labels", "image", "firmware", "cloudInit", "ports", "limits"]
    static let kernelFields = ["image", "initrd", "cmdline"]
    static let nicFields = ["network", "ip", "mac"]
    static let diskFields = ["volume", "readOnly", "mountPoint"]
    static let readinessFields = ["consoleMarker", "timeout"]

    /// A VM with every field that decoded; the flag says whether anything failed (then it is not built into a stack).
    func vm(_ node: YAMLNode, path: String, name: Located<String>, owner: SourceLocation) -> (vm: Sourced<VMSpec>, complete: Bool)? {
        let what = "VM '\(name.value)'"
        let before = sink.diagnostics.count
        guard let reader = MappingReader(node, path: path, what: what, allowed: Self.vmFields, sink: sink, owner: owner) else { return nil }
        var spec = VMSpec(name: name.value)
        var fields: [String: Place] = [:]
        func note<T>(_ key: String, _ located: Located<T>?) -> T? {
            if let located { fields[key] = located.place }
            return located?.value
        }
        if let (node, path) = reader.value("replicas") {
            spec.replicas = note("replicas", int(node, path, range: 0...VMSpec.maxReplicas))
        }
        if let (node, path) = reader.value("cpus") {
            spec.cpus = note("cpus", int(node, path, range: 1...VMSpec.maxCPUs)) ?? spec.cpus
        }
        if let (node, path) = reader.value("memory"), let memory = note("memory", size(node, path)) {
            spec.memory = memory
            if memory < VMSpec.minimumMemory {
                sink.error(place(node, path), "\(path): \(memory) is below the minimum of \(VMSpec.minimumMemory)")
            } else if memory.bytes % ByteSize.mib != 0 {
                sink.error(place(node, path), "\(path): \(memory) is not a whole number of MiB", hint: "round it to MiB, e.g. \(ByteSize(bytes: memory.bytes / ByteSize.mib * ByteSize.mib))")
            }
        }
        if let (node, path) = reader.value("backend") {
            spec.backend = note("backend", choice(node, path, BackendChoice.self)) ?? spec.backend
        }
        if let (node, path) = reader.value("runStrategy") {
            spec.runStrategy = note("runStrategy", choice(node, path, RunStrategy.self)) ?? spec.runStrategy
        }
        if let (node, path) = reader.value("kernel") {
            spec.kernel = kernel(node, path, owner: reader.keyPlace("kernel")?.location)
        }
        if let (node, path) = reader.value("image"), let image = image(node, path, owner: reader.keyPlace("image")?.location) {
            fields["image"] = image.place
            spec.image = image.value
        }
        if let (node, path) = reader.value("firmware") {
            spec.firmware = note("firmware", choice(node, path, Firmware.self))
        }
        if let (node, path) = reader.value("cloudInit") {
            fields["cloudInit"] = place(node, path)
            spec.cloudInit = cloudInit(node, path, owner: reader.keyPlace("cloudInit")?.location)
        }
        if let (node, path) = reader.value("ports"), let items = list(node, path) {
            for item in items {
                guard let port = port(item.node, item.path) else { continue }
                fields["ports[\(spec.ports.count)]"] = port.place
                spec.ports.append(port.value)
            }
        }
        if let (node, path) = reader.value("readiness"), let readiness = readiness(node, path) {
            spec.readiness = readiness
        }
        let timeoutGiven = reader.value("readiness").map { MappingReader($0.node, path: $0.path, what: "", allowed: Self.readinessFields, sink: DiagnosticSink())?.has("timeout") ?? false } ?? false
        if spec.image != nil, !timeoutGiven { spec.readiness.timeout = ReadinessSpec.defaultImageTimeout }
        if let (node, path) = reader.value("labels") {
            spec.labels = labels(node, path)
        }
        if let (node, path) = reader.value("limits"), let limits = limits(node, path, owner: reader.keyPlace("limits")?.location, fields: &fields) {
            spec.limits = limits == VMLimits() ? nil : limits   // `limits: {}` is no limits, as in state files
        }
        // Field places are keyed by the index in spec.networks/disks, which skips items that failed to decode;
        // each place keeps the path as written (`networks[1].ip`).
        if let (node, path) = reader.value("networks"), let items = list(node, path) {
            for item in items {
                let relative = "networks[\(spec.networks.count)]"
                var itemFields = [relative: place(item.node, item.path)]
                guard let nic = nic(item.node, item.path, relative: relative, fields: &itemFields) else { continue }
                fields.merge(itemFields) { $1 }
                spec.networks.append(nic)
            }
        }
        if let (node, path) = reader.value("disks"), let items = list(node, path) {
            for item in items {
                let relative = "disks[\(spec.disks.count)]"
                var itemFields = [relative: place(item.node, item.path)]
                guard let disk = disk(item.node, item.path, relative: relative, fields: &itemFields) else { continue }
                fields.merge(itemFields) { $1 }
                spec.disks.append(disk)
            }
        }
        if let (node, path) = reader.value("dependsOn"), let items = list(node, path) {
            for item in items {
                guard let target = string(item.node, item.path) else { continue }
                fields["dependsOn[\(spec.dependsOn.count)]"] = target.place
                spec.dependsOn.append(target.value)
            }
        }
        let complete = sink.diagnostics.count == before
        return (Sourced(value: spec, place: name.place, fields: fields), complete)
    }

    private func kernel(_ node: YAMLNode, _ path: String, owner: SourceLocation?) -> KernelSpec? {
        guard let reader = MappingReader(node, path: path, what: path, allowed: Self.kernelFields, sink: sink, owner: owner) else { return nil }
        let image = reader.required("image", what: path, sink: sink, hint: "kernel.image is the path of a bzImage or vmlinux; omit kernel for the default guest")
            .flatMap { self.path($0.node, $0.path) }
        let initrd = reader.value("initrd").flatMap { self.path($0.node, $0.path) }
        let cmdline = reader.value("cmdline").flatMap { string($0.node, $0.path, allowEmpty: true) }
        if let cmdline, cmdline.value.utf8.count > 2048 {
            sink.error(cmdline.place, "\(cmdline.place.path) is \(cmdline.value.utf8.count) bytes; Linux accepts at most 2048")
        }
        guard let image else { return nil }
        return KernelSpec(image: image.value, initrd: initrd?.value, cmdline: cmdline?.value)
    }

    private func readiness(_ node: YAMLNode, _ path: String) -> ReadinessSpec? {
        guard let reader = MappingReader(node, path: path, what: path, allowed: Self.readinessFields, sink: sink) else { return nil }
        var readiness = ReadinessSpec()
        readiness.consoleMarker = reader.value("consoleMarker").flatMap { string($0.node, $0.path) }?.value
        if let timeout = reader.value("timeout").flatMap({ duration($0.node, $0.path) }) {
            readiness.timeout = timeout.value
        }
        return readiness
    }

    private func nic(_ node: YAMLNode, _ path: String, relative: String, fields: inout [String: Place]) -> NICSpec? {
        guard let reader = MappingReader(node, path: path, what: path, allowed: Self.nicFields, sink: sink) else { return nil }
        let network = reader.required("network", what: path, sink: sink).flatMap { string($0.node, $0.path) }
        let ip = reader.value("ip").flatMap { ipv4($0.node, $0.path) }
        let mac = reader.value("mac").flatMap { macAddress($0.node, $0.path) }
        if let ip { fields["\(relative).ip"] = ip.place }
        if let mac { fields["\(relative).mac"] = mac.place }
        if let network { fields["\(relative).network"] = network.place }
        guard let network, reader.has("ip") == (ip != nil), reader.has("mac") == (mac != nil) else { return nil }
        return NICSpec(network: network.value, ip: ip?.value, mac: mac?.value)
    }

    private func disk(_ node: YAMLNode, _ path: String, relative: String, fields: inout [String: Place]) -> DiskSpec? {
        guard let reader = MappingReader(node, path: path, what: path, allowed: Self.diskFields, sink: sink) else { return nil }
        let volume = reader.required("volume", what: path, sink: sink).flatMap { string($0.node, $0.path) }
        let readOnly = reader.value("readOnly").flatMap { bool($0.node, $0.path) }
        let mountPoint = reader.value("mountPoint").flatMap { string($0.node, $0.path) }
        if let mountPoint {
            fields["\(relative).mountPoint"] = mountPoint.place
            if !mountPoint.value.hasPrefix("/") {
                sink.error(mountPoint.place, "\(mountPoint.place.path) must be an absolute path, found '\(mountPoint.value.truncatedForMessage)'",
                           hint: "start it with /, e.g. /\(mountPoint.value.truncatedForMessage)")
            }
        }
        if let volume { fields["\(relative).volume"] = volume.place }
        guard let volume, reader.has("readOnly") == (readOnly != nil) else { return nil }
        return DiskSpec(volume: volume.value, readOnly: readOnly?.value ?? false, mountPoint: mountPoint?.value)
    }

    func macAddress(_ node: YAMLNode, _ path: String) -> Located<MACAddress>? {
        guard let text = string(node, path) else { return nil }
        guard let mac = MACAddress(text.value) else {
            sink.error(text.place, "\(path): '\(text.value.truncatedForMessage)' is not a MAC address", hint: "write six hex pairs separated by colons, e.g. 52:54:00:12:34:56")
            return nil
        }
        if mac.isMulticast {
            sink.error(text.place, "\(path): \(mac) is a multicast address and cannot belong to a NIC",
                       hint: "the lowest bit of the first octet must be 0; locally administered unicast addresses start with x2, x6, xA or xE (52:54:00:… is common)")
            return nil
        }
        if mac.isZero {
            sink.error(text.place, "\(path): 00:00:00:00:00:00 is not a usable MAC address")
            return nil
        }
        return Located(value: mac, place: text.place)
    }

    func labels(_ node: YAMLNode, _ path: String) -> [String: String] {
        guard let entries = entries(node, path) else { return [:] }
        var labels: [String: String] = [:]
        for entry in entries {
            if let problem = Self.labelKeyProblem(entry.key) {
                sink.error(entry.keyPlace, "label key '\(entry.key.truncatedForMessage)' \(problem)")
                continue
            }
            guard let value = string(entry.node, entry.path, allowEmpty: true) else { continue }
            labels[entry.key] = value.value
        }
        return labels
    }

    static func labelKeyProblem(_ key: String) -> String? {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let name = parts.last, !name.isEmpty else { return "must be NAME or PREFIX/NAME" }
        guard name.count <= 63 else { return "has a name longer than 63 characters" }
        let allowed = name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0)) }
        return allowed ? nil : "may contain only letters, digits, '.', '_' and '-'"
    }
}
