import MeshCore
import Testing

/// Argon2id derivation of the cluster secret from a passphrase.
@Suite struct CryptoPassphraseTests {
  @Test func derivationIsDeterministicAndPinned() throws {
    let first = try PassphraseSecret.derive(passphrase: "correct horse battery staple")
    let second = try PassphraseSecret.derive(passphrase: "correct horse battery staple")
    #expect(first == second)
    // Pinned: salt "meshd cluster v1", OPSLIMIT/MEMLIMIT_INTERACTIVE, Argon2id v1.3. A change
    // here breaks every cluster that uses a passphrase.
    #expect(
      Hex.encode(first.bytes)
        == "3983d29e41572af9524a8afc304ee783d28c27dd92b07717602fe3e27930d639")
    let other = try PassphraseSecret.derive(passphrase: "correct horse battery stapler")
    #expect(other != first)
  }

  @Test func emptyPassphraseIsRefused() {
    #expect(throws: CryptoError.emptyPassphrase) { try PassphraseSecret.derive(passphrase: "") }
  }
}
