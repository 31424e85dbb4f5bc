#if canImport(Security)
import Foundation
import Security

/// The store's key in the Keychain: one generic-password item per `KeySlot`, readable
/// after the phone's first unlock since boot (so the background sync task can open the
/// store while the phone is locked) and on this device only (`ThisDeviceOnly`: never in an
/// iCloud or iTunes backup, never on another phone). Not compiled on Linux, which has no
/// Security framework; the tests use an in-memory `SecretStore`.
public final class KeychainSecretStore: SecretStore, @unchecked Sendable {
    private let service: String

    public init(service: String = "io.cordon.demo.store-key") {
        self.service = service
    }

    private func item(_ slot: KeySlot) -> [String: Any] {
        [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: slot.rawValue,
            // macOS (the logic tests on a Mac): the iOS-style keychain, which honours
            // kSecAttrAccessible. Ignored on iOS.
            kSecUseDataProtectionKeychain as String: true,
        ]
    }

    public func read(_ slot: KeySlot) throws -> Data? {
        var query = item(slot)
        query[kSecReturnData as String] = true
        query[kSecMatchLimit as String] = kSecMatchLimitOne
        var result: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &result)
        switch status {
        case errSecSuccess:
            guard let data = result as? Data else { throw KeychainError(status: errSecDecode) }
            return data
        case errSecItemNotFound:
            return nil
        default:
            // errSecInteractionNotAllowed before the first unlock: try again later.
            throw KeychainError(status: status)
        }
    }

    public func write(_ slot: KeySlot, _ secret: Data) throws {
        let attributes: [String: Any] = [
            kSecValueData as String: secret,
            kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
        ]
        var status = SecItemAdd(item(slot).merging(attributes) { _, new in new } as CFDictionary, nil)
        if status == errSecDuplicateItem {
            status = SecItemUpdate(item(slot) as CFDictionary, attributes as CFDictionary)
        }
        guard status == errSecSuccess else { throw KeychainError(status: status) }
    }

    public func delete(_ slot: KeySlot) throws {
        let status = SecItemDelete(item(slot) as CFDictionary)
        guard status == errSecSuccess || status == errSecItemNotFound else { throw KeychainError(status: status) }
    }
}

/// A Keychain call failed, with its `OSStatus` and the system's words for it.
public struct KeychainError: Error, CustomStringConvertible {
    public let status: OSStatus

    public var description: String {
        let text = SecCopyErrorMessageString(status, nil) as String? ?? "unknown"
        return "Keychain error \(status): \(text)"
    }
}
#endif
