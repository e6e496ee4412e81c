/// The stack's names in the guest's /etc/hosts: a block between two marker lines that a `bootcmd` replaces at
/// every boot. Replacing (rather than appending with `write_files: append`) means a re-provisioned VM never
/// collects stale or duplicate lines, and a `bootcmd` runs before `update_etc_hosts`, whose
/// `manage_etc_hosts: localhost` keeps every line it does not own (cloud-init 22.4, distros.update_etc_hosts).
enum EtcHostsBlock {
    static let beginMarker = "# BEGIN vmctl hosts"
    static let endMarker = "# END vmctl hosts"
    static let path = "/etc/hosts"

    /// The block's lines, hosts sorted by name then address and without repeats (the runtime's order never
    /// changes the seed).
    static func lines(stack: String, hosts: [SeedRequest.Host]) -> [String] {
        let sorted = Set(hosts).sorted { ($0.name, $0.address) < ($1.name, $1.address) }
        return ["\(beginMarker) (stack \(stack))"] + sorted.map { "\($0.address) \($0.name)" } + [endMarker]
    }

    /// One shell command: delete the old block (whatever stack wrote it) and end the file with a newline if it
    /// did not, then append the new block. Every piece is single-quoted; names are DNS labels and addresses
    /// dotted quads (validated), so none contains a quote.
    static func script(stack: String, hosts: [SeedRequest.Host], path: String = path) -> String {
        let quoted = lines(stack: stack, hosts: hosts).map { "'\($0)'" }.joined(separator: " ")
        return "touch \(path) && sed -i -e '/^\(beginMarker)/,/^\(endMarker)$/d' -e '$a\\' \(path) && printf '%s\\n' \(quoted) >> \(path)"
    }
}
