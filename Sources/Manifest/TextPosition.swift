enum TextPosition {
    /// 1-based line and column (in Unicode scalars, as libyaml counts) of a byte offset.
    static func lineAndColumn(in bytes: [UInt8], byteOffset: Int) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        var index = 0
        let end = min(byteOffset, bytes.count)
        while index < end {
            let byte = bytes[index]
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
            index += 1
        }
        return (line, column)
    }
}
