import VMCtlModel

/// Diagnostics as GitHub Actions workflow commands (`::error file=F,line=L,col=C,title=T::MESSAGE`), which the runner
/// turns into annotations on the pull request's lines.
enum GitHubAnnotations {
    static let title = "vmctl validate"

    static func render(_ diagnostics: [Diagnostic]) -> String {
        diagnostics.map(command).joined()
    }

    static func command(_ d: Diagnostic) -> String {
        var properties: [String] = []
        // Standard input has no file to annotate; the annotation then stands on the run alone.
        if d.location.file != "<stdin>" {
            properties += ["file=\(property(d.location.file))", "line=\(d.location.line)", "col=\(d.location.column)"]
        }
        properties.append("title=\(property(title))")
        var text = d.message
        if !d.path.isEmpty, !d.message.contains(d.path) { text += " [\(d.path)]" }
        if let hint = d.hint { text += "\nhint: \(hint)" }
        let level = d.severity == .error ? "error" : "warning"
        return "::\(level) \(properties.joined(separator: ","))::\(message(text))\n"
    }

    /// GitHub's escaping of a command's message.
    static func message(_ text: String) -> String {
        text.replacingAll(["%": "%25", "\r": "%0D", "\n": "%0A"])
    }

    /// A property value: as a message, and `:` and `,`, which separate properties.
    static func property(_ text: String) -> String {
        text.replacingAll(["%": "%25", "\r": "%0D", "\n": "%0A", ":": "%3A", ",": "%2C"])
    }
}

private extension String {
    /// One pass, so `%` produced by an escape is never escaped again; by scalars, since "\r\n" is one Character.
    func replacingAll(_ table: [Unicode.Scalar: String]) -> String {
        var out = ""
        for scalar in unicodeScalars { out += table[scalar] ?? String(scalar) }
        return out
    }
}
