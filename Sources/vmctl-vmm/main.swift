import Glibc
import VMMControl

// Thin entry point: everything lives in VMMMain so the flow reads top-down in one place.
exit(VMMMain.run(Array(CommandLine.arguments.dropFirst())).rawValue)
