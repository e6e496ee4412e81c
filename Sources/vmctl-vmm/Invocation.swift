/// What the command line asks for.
enum Invocation: Equatable {
    case version
    case help
    /// Print `VMMCapabilities` as one JSON line (can this build boot?); the runtime asks before it picks kvm.
    case capabilities
    /// Validate the spec (and that its files are there), then exit 0 or 1; starts nothing.
    case check(source: String)
    /// Validate, serve the control socket, boot.
    case run(source: String)

    static let usage = """
        usage: vmctl-vmm [--check] SPEC     run (or only validate) the VM described by the launch spec SPEC
                                            (a JSON file; "-" or no SPEC reads it from stdin)
               vmctl-vmm --version | --help
               vmctl-vmm --capabilities     print {"boot": …, "version": …} as one JSON line
        exit status: 0 guest powered off, 1 VMM error (bad spec, KVM failure), 2 guest crashed,
                     3 powered off through the control socket (docs/control-protocol.md)
        """

    struct UsageError: Error { var message: String }

    static func parse(_ arguments: [String]) -> Result<Invocation, UsageError> {
        var check = false
        var sources: [String] = []
        for argument in arguments {
            switch argument {
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
        return .success(check ? .check(source: source) : .run(source: source))
    }
}
