/// What the command line asks for.
enum Invocation: Equatable {
    case version
    case help
    /// Print `VMMCapabilities` as one JSON line (can this build boot?); the runtime asks before it picks kvm.
    case capabilities
    /// Validate the spec (and that its files are there), then exit 0 or 1; starts nothing.
    case check(source: String, descriptor: Int32?)
    /// Validate, serve the control socket, boot.
    case run(source: String, descriptor: Int32?)

    static let usage = """
        usage: vmctl-vmm [--check] SPEC     run (or only validate) the VM described by the launch spec SPEC
                                            (a JSON file; "-" or no SPEC reads it from stdin)
               vmctl-vmm [--check] --spec-fd N SPEC
                                            read the spec from inherited descriptor N; SPEC only names it
                                            (vmctl-launch: a confined VMM cannot open the VM's folder)
               vmctl-vmm --version | --help
               vmctl-vmm --capabilities     print {"boot": …, "version": …} as one JSON line
        exit status: 0 guest powered off, 1 VMM error (bad spec, KVM failure), 2 guest crashed,
                     3 powered off through the control socket (docs/control-protocol.md)
        """

    struct UsageError: Error { var message: String }

    static func parse(_ arguments: [String]) -> Result<Invocation, UsageError> {
        var check = false
        var sources: [String] = []
        var descriptor: Int32?
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "--spec-fd":
                guard let value = rest.popFirst(), let fd = Int32(value), fd > 2 else {
                    return .failure(UsageError(message: "--spec-fd needs a descriptor number above 2"))
                }
                descriptor = fd
            case "--version", "-V": return .success(.version)
            case "--help", "-h": return .success(.help)
            case "--capabilities": return .success(.capabilities)
            case "--check": check = true
            case "-": sources.append(argument)
            default:
                if argument.hasPrefix("-") { return .failure(UsageError(message: "unknown option \(argument)")) }
                sources.append(argument)
            }
        }
        guard sources.count <= 1 else { return .failure(UsageError(message: "give one launch spec, not \(sources.count)")) }
        let source = sources.first ?? "-"
        if descriptor != nil && source == "-" { return .failure(UsageError(message: "--spec-fd needs SPEC, the path that names it")) }
        return .success(check ? .check(source: source, descriptor: descriptor) : .run(source: source, descriptor: descriptor))
    }
}
