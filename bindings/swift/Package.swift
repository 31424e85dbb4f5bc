// swift-tools-version:5.9
//
// The Swift bindings of Cordon, tested with XCTest against the real library.
//
// Everything under generated/ is written by `scripts/bindings.sh generate` from the
// freshly built libcordon (never committed): the C modules CordonFFI and CordonCoreFFI
// (header + module.modulemap each) and the generated Swift of both crates, compiled into
// the one `Cordon` module that apps import. The library is linked from CORDON_LIB_DIR
// (default: the workspace's target/debug), with an rpath so the tests load it.
//
// Run: scripts/bindings.sh swift   (on Linux it runs `swift test` in the Swift chroot)
// Phones use bindings/ios/Package.swift (an XCFramework binary target) instead.
import Foundation
import PackageDescription

let libDir = ProcessInfo.processInfo.environment["CORDON_LIB_DIR"]
    ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../target/debug").standardized.path

let package = Package(
    name: "Cordon",
    products: [.library(name: "Cordon", targets: ["Cordon"])],
    targets: [
        .systemLibrary(name: "CordonFFI", path: "generated/CordonFFI"),
        .systemLibrary(name: "CordonCoreFFI", path: "generated/CordonCoreFFI"),
        .target(
            name: "Cordon",
            dependencies: ["CordonFFI", "CordonCoreFFI"],
            path: "generated/Cordon",
            linkerSettings: [
                .linkedLibrary("cordon"),
                .unsafeFlags(["-L", libDir, "-Xlinker", "-rpath", "-Xlinker", libDir]),
            ]
        ),
        .testTarget(name: "CordonTests", dependencies: ["Cordon"], path: "Tests/CordonTests"),
    ]
)
