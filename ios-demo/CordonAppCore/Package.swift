// swift-tools-version:5.9
//
// CordonAppCore: everything in the iOS demo app that is not SwiftUI or iOS glue (screen
// state, time formatting, error messages, the duress control, the URLSession transport),
// as a plain package that builds and is tested on Linux as well as on a Mac.
//
// It depends on the `Cordon` package of the bindings, by path:
//   - for the tests (Linux, or a Mac with CORDON_BINDINGS=host): bindings/swift, which links
//     libcordon from target/debug (made by `scripts/bindings.sh build generate`);
//   - for the app (Xcode on a Mac): bindings/ios, the XCFramework made by bindings/ios/build.sh.
//
// Run: scripts/demo-apps.sh swift   (on Linux: `swift test` in the Swift chroot)
import Foundation
import PackageDescription

#if os(Linux)
let hostBindings = true
#else
let hostBindings = ProcessInfo.processInfo.environment["CORDON_BINDINGS"] == "host"
#endif
// A path dependency's package identity is its directory's name.
let (cordonPath, cordonIdentity) = hostBindings ? ("../../bindings/swift", "swift") : ("../../bindings/ios", "ios")

let package = Package(
    name: "CordonAppCore",
    // @Observable state holders: iOS 17 / macOS 14.
    platforms: [.iOS(.v17), .macOS(.v14)],
    products: [.library(name: "CordonAppCore", targets: ["CordonAppCore"])],
    dependencies: [.package(path: cordonPath)],
    targets: [
        .target(name: "CordonAppCore", dependencies: [.product(name: "Cordon", package: cordonIdentity)]),
        .testTarget(
            name: "CordonAppCoreTests",
            dependencies: ["CordonAppCore", .product(name: "Cordon", package: cordonIdentity)],
            // Debian's swiftlang 6.0.3 ships a libswiftObservation.so that references
            // swift::threading::fatal, which none of its libraries export: linking fails
            // although nothing calls it unless Observation itself hits a fatal error.
            // Let the link through on Linux (the call would fail at run time, as fatal anyway).
            linkerSettings: [.unsafeFlags(["-Xlinker", "--allow-shlib-undefined"], .when(platforms: [.linux]))]
        ),
    ]
)
