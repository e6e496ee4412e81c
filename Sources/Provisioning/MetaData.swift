/// `meta-data`: the instance-id (first boot when it changes) and the hostname NoCloud reports.
enum MetaData {
    static func render(instanceID: String, hostname: String) throws -> String {
        try CloudConfigYAML.text(CloudConfigYAML.mapping([
            ("instance-id", CloudConfigYAML.string(instanceID)),
            ("local-hostname", CloudConfigYAML.string(hostname)),
        ]))
    }
}
