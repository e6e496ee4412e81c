import VMCtlModel

/// Collects diagnostics: validation reports every problem, never just the first.
final class DiagnosticSink {
    private(set) var diagnostics: [Diagnostic] = []

    func error(_ place: Place, _ message: String, hint: String? = nil) {
        diagnostics.append(Diagnostic(.error, at: place.location, path: place.path, message, hint: hint))
    }

    func warning(_ place: Place, _ message: String, hint: String? = nil) {
        diagnostics.append(Diagnostic(.warning, at: place.location, path: place.path, message, hint: hint))
    }

    func append(_ diagnostic: Diagnostic) { diagnostics.append(diagnostic) }
}
