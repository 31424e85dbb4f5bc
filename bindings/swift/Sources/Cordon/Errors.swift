// Hand-written part of the Cordon module (scripts/bindings.sh copies it beside the
// generated Swift): the core's errors read as the core words them.
//
// uniffi generates `description` from the Rust `Display` of each error but does not
// declare the conformance, so `localizedDescription` (LocalizedError's errorDescription,
// which is `String(reflecting:)`) would print the enum case with its fields. Declared
// here, it is the one-line message: `invalid timeZone: "Mars/Olympus_Mons" is not an
// IANA time zone`.

extension CordonError: CustomStringConvertible {}
extension TransportError: CustomStringConvertible {}
extension ListenerError: CustomStringConvertible {}
