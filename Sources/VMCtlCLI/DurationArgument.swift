import VMCtlModel

/// Command-line durations use the manifest's syntax (`90s`, `2m`).
enum VMCtlModelDuration {
    static func parse(_ text: String) -> Result<Duration, DurationParser.ParseError> { DurationParser.parse(text) }
}
