import ArgumentParser
import Manifest

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema of the manifest format (for editors and CI).")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        Console.out(ManifestSchema.json + "\n")
    }
}
