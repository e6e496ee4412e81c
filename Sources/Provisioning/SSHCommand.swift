/// The `ssh` command line that reaches an image VM through its forwarded port as `vmctl`, with the stack key,
/// checking the VM's pinned host key strictly (never trusting on first use, never updating known_hosts).
public struct SSHCommand: Hashable, Sendable {
    public var privateKeyPath: String
    public var port: Int
    public var knownHostsPath: String
    public var hostKeyAlias: String
    public var user: String
    public var host: String
    public var connectTimeout: Int
    /// No prompts (passwords, passphrases, host keys): fail instead. Leave on for the runtime.
    public var batchMode: Bool
    /// `-t`: a terminal for an interactive command.
    public var forceTTY: Bool

    public init(privateKeyPath: String, port: Int, knownHostsPath: String, hostKeyAlias: String,
                user: String = "vmctl", host: String = "127.0.0.1", connectTimeout: Int = 10,
                batchMode: Bool = true, forceTTY: Bool = false) {
        self.privateKeyPath = privateKeyPath
        self.port = port
        self.knownHostsPath = knownHostsPath
        self.hostKeyAlias = hostKeyAlias
        self.user = user
        self.host = host
        self.connectTimeout = connectTimeout
        self.batchMode = batchMode
        self.forceTTY = forceTTY
    }

    /// `ssh -i KEY -p PORT -o … vmctl@127.0.0.1 [-- COMMAND…]`; argv[0] is "ssh". ssh joins the command's words
    /// with spaces and the guest's shell parses them: quote them for a shell.
    public func arguments(_ command: [String] = []) -> [String] {
        var argv = ["ssh", "-i", privateKeyPath, "-p", String(port)]
        for (option, value) in options { argv += ["-o", "\(option)=\(value)"] }
        if forceTTY { argv.append("-t") }
        argv.append("\(user)@\(host)")
        if !command.isEmpty { argv += ["--"] + command }
        return argv
    }

    /// Command-line options override ~/.ssh/config and /etc/ssh/ssh_config for each of these.
    var options: [(String, String)] {
        [("IdentitiesOnly", "yes"),
         ("IdentityAgent", "none"),
         ("StrictHostKeyChecking", "yes"),
         ("UserKnownHostsFile", Self.quoted(knownHostsPath)),
         ("GlobalKnownHostsFile", "/dev/null"),
         ("HostKeyAlias", hostKeyAlias),
         ("CheckHostIP", "no"),
         ("UpdateHostKeys", "no"),
         ("BatchMode", batchMode ? "yes" : "no"),
         ("LogLevel", "ERROR"),
         ("ConnectTimeout", String(connectTimeout))]
    }

    /// ssh splits UserKnownHostsFile's value at whitespace (it takes several files) unless it is double-quoted.
    static func quoted(_ path: String) -> String {
        path.contains(where: { $0 == " " || $0 == "\t" }) ? "\"\(path)\"" : path
    }
}
