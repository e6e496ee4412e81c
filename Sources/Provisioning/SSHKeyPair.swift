/// An SSH key pair as OpenSSH writes it: the private key file's text and the public key's one line.
public struct SSHKeyPair: Hashable, Sendable {
    /// `-----BEGIN OPENSSH PRIVATE KEY-----` … (the whole file, newline-terminated).
    public var privateKey: String
    /// `ssh-ed25519 AAAA… comment`, without the trailing newline.
    public var publicKey: String

    public init(privateKey: String, publicKey: String) {
        self.privateKey = privateKey
        self.publicKey = publicKey
    }
}
