/// meshd's version, in one place: `meshd --version`, status and `meshd_build_info` read it.
///
/// A placeholder until the packaging work sets it from the build.
public enum MeshVersion {
  /// The version of this build.
  public static let current = "0.0.0-dev"
}
