import Foundation
import VMCtlCLI

exit(VMCtlMain.run())
