// What an embedder needs comes with `import MeshCore`: the domain values (endpoints, peer IDs,
// keys), the engine's configuration, status and events, and the runtime in this module. The
// IO layer and the control API's codecs stay separate imports (`MeshIO`, `MeshAPI`) for the
// daemon and tools that use them directly.
@_exported import MeshLogic
@_exported import MeshProtocol
@_exported import MeshTypes
