import Foundation

/// An ed25519 key pair kept as `NAME` (0600) and `NAME.pub` in a folder: generated once, reused afterwards.
///
/// Generation writes both files under temporary names and renames the public key first, then the private one, so
/// the private key's presence means the pair is complete. A kept private key is checked with `ssh-keygen -y`
/// (the public key always comes from it; a missing or different `.pub` is rewritten) and its mode is tightened
/// to 0600 if it became wider (ssh refuses such keys).
struct KeyPairFiles {
    var privateKeyPath: String
    var keygen: SSHKeygen

    var publicKeyPath: String { privateKeyPath + ".pub" }

    /// The pair, generated with `comment` if the private key does not exist yet.
    func ensure(comment: String) throws -> SSHKeyPair {
        let folder = (privateKeyPath as NSString).deletingLastPathComponent
        try AtomicWrite.makeFolder(folder)
        if !FileManager.default.fileExists(atPath: privateKeyPath) { try generate(comment: comment) }
        try tightenMode()
        let publicKey = try keygen.publicKey(ofPrivateKeyAt: privateKeyPath)
        guard let privateText = FileManager.default.contents(atPath: privateKeyPath).flatMap({ String(data: $0, encoding: .utf8) }) else {
            throw ProvisioningError.badKey(path: privateKeyPath, reason: "it cannot be read")
        }
        let stored = (try? String(contentsOfFile: publicKeyPath, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let stored, Self.keyFields(stored) == Self.keyFields(publicKey) {
            return SSHKeyPair(privateKey: privateText, publicKey: stored)
        }
        try AtomicWrite.write(publicKey + "\n", to: publicKeyPath, mode: 0o644)
        return SSHKeyPair(privateKey: privateText, publicKey: publicKey)
    }

    private func generate(comment: String) throws {
        let temporary = AtomicWrite.temporaryName(for: privateKeyPath)
        defer {
            unlink(temporary)
            unlink(temporary + ".pub")
        }
        try keygen.generate(at: temporary, comment: comment)
        try AtomicWrite.rename(temporary + ".pub", to: publicKeyPath)
        guard chmod(temporary, 0o600) == 0 else { throw AtomicWrite.failure("set the mode of", temporary) }
        // Another vmctl may have made the pair meanwhile: link(2) never replaces, so the first complete key wins.
        if link(temporary, privateKeyPath) != 0 && errno != EEXIST {
            throw AtomicWrite.failure("store the key as", privateKeyPath)
        }
    }

    private func tightenMode() throws {
        var info = stat()
        guard stat(privateKeyPath, &info) == 0 else { throw AtomicWrite.failure("inspect", privateKeyPath) }
        if info.st_mode & 0o077 != 0, chmod(privateKeyPath, 0o600) != 0 {
            throw AtomicWrite.failure("set the mode 0600 of", privateKeyPath)
        }
    }

    /// Type and base64 of a public key line (the comment may differ).
    static func keyFields(_ line: String) -> [Substring] { Array(line.split(separator: " ").prefix(2)) }
}
