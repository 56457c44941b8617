/// The named bounds of the name registry: what one host may publish in its record and what a
/// name may look like. Every name from the Docker API, the control API or gossip is checked
/// against these before it is published, merged or served.
public enum NameLimits {
  /// The most names one host's record carries (containers, service instances and manual
  /// names together).
  public static let maxNamesPerHost = 64
  /// The longest label (DNS: 63 bytes).
  public static let maxLabelLength = 63
  /// The longest relative name, dots included (`web`, `db.prod`): with a domain such as
  /// `mesh.internal` the full name stays far below DNS's 253 bytes.
  public static let maxNameLength = 127
  /// The most TCP ports one name carries for SRV answers.
  public static let maxPortsPerName = 8
  /// The most bytes the names section of a record takes on the wire (its count byte
  /// included). Names travel in the record's header, which every segment repeats, so this
  /// keeps the worst-case header (`RecordSegment`) well inside one gossip datagram with room
  /// for connection IDs; a host with more names than fit publishes a prefix, manual names
  /// first, then services, then containers (`LocalNames`).
  public static let maxNameBytes = 640
}
