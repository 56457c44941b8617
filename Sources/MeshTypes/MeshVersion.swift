/// meshd's version, in one place: `meshd --version`, the `version` of `/v1/status`, the
/// `meshd_build_info` metric and the Debian package (`scripts/build-deb.sh` reads the string
/// below from this file) all take it from here. Bump it here and nowhere else.
public enum MeshVersion {
  /// The release, `MAJOR.MINOR.PATCH` (also the Debian package's upstream version).
  public static let current = "0.1.0"
}
