/// EmbedSync's version, in one place: `embedsync --version`, the server's `build_info` metric and the CHANGELOG's
/// newest entry (a test checks they agree).
public enum EmbedSyncVersion {
    public static let current = "0.2.0"
}
