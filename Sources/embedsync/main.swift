import EmbedSyncCLI
import Foundation

exit(await EmbedSyncCLI.main())
